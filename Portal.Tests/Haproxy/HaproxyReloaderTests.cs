using HaPortal.Core.Haproxy;

namespace HaPortal.Tests.Haproxy;

/// <summary>Structural changes: check with haproxy -c, install, reload the master-worker hitlessly.</summary>
public sealed class HaproxyReloaderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Apply_InvalidConfig_IsRejectedWithHaproxysMessage_AndTheOldConfigKeepsServing()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var reloader = stack.Reloader();
        var live = await File.ReadAllTextAsync(stack.ConfigPath, Ct);
        var before = await reloader.ShowProcAsync(Ct);

        var result = await reloader.ApplyAsync(stack.Config(balance: "fastest"), Ct);

        Assert.False(result.Installed);
        Assert.Contains("[ALERT]", result.Error);
        Assert.Contains("balance only supports 'roundrobin'", result.Error);
        Assert.Equal(live, await File.ReadAllTextAsync(stack.ConfigPath, Ct));
        Assert.False(File.Exists(reloader.CandidatePath));
        var after = await reloader.ShowProcAsync(Ct);
        Assert.Equal(before.CurrentWorker, after.CurrentWorker);
        Assert.Equal(before.Reloads, after.Reloads);
        using var client = stack.Client();
        Assert.StartsWith("backend web", await HaproxyRuntimeTests.GetAsync(client, cookie: null));
    }

    [Fact]
    public async Task Check_InvalidConfig_ReportsWithoutTouchingTheLiveFile()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var reloader = stack.Reloader();
        var live = await File.ReadAllTextAsync(stack.ConfigPath, Ct);

        var bad = await reloader.CheckAsync(stack.Config().Replace("weight 100", "weight 100 frobnicate"), Ct);
        var good = await reloader.CheckAsync(stack.Config(balance: "leastconn"), Ct);

        Assert.False(bad.Installed);
        Assert.Contains("unknown keyword 'frobnicate'", bad.Error);
        Assert.True(good.Installed);
        Assert.Equal(live, await File.ReadAllTextAsync(stack.ConfigPath, Ct));
    }

    [Fact]
    public async Task Apply_ValidConfig_NewWorkerServesTheNewCookie_WithNoFailedRequestUnderLoad()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var reloader = stack.Reloader();
        var before = await reloader.ShowProcAsync(Ct);

        var load = LoadResult.RunAsync(stack.FrontendUrl, clients: 4, requests: 2000, Ct);
        var results = new List<ReloadResult>();
        for (var i = 0; i < 5 && !load.IsCompleted; i++)
            results.Add(await reloader.ApplyAsync(stack.Config(cookie: i % 2 == 0 ? "HAPORTAL" : "SERVERID"), Ct));
        var outcome = await load;
        var final = await reloader.ApplyAsync(stack.Config(cookie: "HAPORTAL"), Ct);

        Assert.NotEmpty(results);
        Assert.All(results.Append(final), r => Assert.True(r.Installed, r.Error));
        Assert.Empty(outcome.Failures);
        Assert.Equal(2000, outcome.Succeeded);
        Assert.NotEqual(before.CurrentWorker, final.WorkerPid);
        using var client = stack.Client();
        using var response = await client.GetAsync("/", Ct);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("HAPORTAL=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Apply_Reloads_FailNoRequestOfANonRetryingKeepAliveClient()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var reloader = stack.Reloader();

        var load = LoadResult.RunRawKeepAliveAsync(stack.FrontendPort, clients: 4, requests: 4000, Ct);
        var reloads = 0;
        while (!load.IsCompleted)
        {
            Assert.True((await reloader.ApplyAsync(stack.Config(), Ct)).Installed);
            reloads++;
        }
        var outcome = await load;

        Assert.True(reloads > 0);
        Assert.Empty(outcome.Failures);
        Assert.Equal(4000, outcome.Succeeded);
    }

    [Fact]
    public void ParseShowProc_ReadsMasterReloadsFailuresAndTheCurrentWorker()
    {
        const string reply = """
            #<PID>          <type>          <reloads>       <uptime>        <version>
            23473           master          2 [failed: 1]   0d00h00m11s     2.6.12-1+deb12u4
            # workers
            23633           worker          0               0d00h00m01s     2.6.12-1+deb12u4
            23600           worker          1               0d00h00m05s     2.6.12-1+deb12u4
            # programs

            """;

        var procs = HaproxyReloader.ParseShowProc(reply);

        Assert.Equal(23473, procs.MasterPid);
        Assert.Equal(2, procs.Reloads);
        Assert.Equal(1, procs.FailedReloads);
        Assert.Equal(23633, procs.CurrentWorker);
    }
}
