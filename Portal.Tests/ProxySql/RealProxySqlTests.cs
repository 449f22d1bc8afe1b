using System.Diagnostics;
using HaPortal.Core.ProxySql;
using HaPortal.Tests.Infrastructure;
using MySqlConnector;

namespace HaPortal.Tests.ProxySql;

/// <summary>
/// A real ProxySQL container, started when HAPORTAL_PROXYSQL_IMAGE names an image present in the local Docker engine.
/// Otherwise <see cref="SkipReason"/> says why, and every test skips with it (the one skip DESIGN.md allows in CI).
/// The admin port is published on 127.0.0.1 only; login as radmin, since ProxySQL lets 'admin' in from localhost only.
/// </summary>
public sealed class RealProxySqlFixture : IAsyncLifetime
{
    public const string ImageVariable = "HAPORTAL_PROXYSQL_IMAGE";
    public string? SkipReason { get; private set; }
    public int Port { get; private set; }
    public ProxySqlEndpoint Endpoint => new("127.0.0.1", Port, "radmin", "radmin");
    private string? _container;

    public async ValueTask InitializeAsync()
    {
        var image = Environment.GetEnvironmentVariable(ImageVariable);
        if (string.IsNullOrWhiteSpace(image))
        {
            SkipReason = $"{ImageVariable} is not set: no real ProxySQL to test against (the double-based tests cover the adapter).";
            return;
        }
        var (inspect, _) = await DockerAsync("image", "inspect", image);
        if (inspect != 0)
        {
            SkipReason = $"{ImageVariable}={image}, but that image is not present in the local Docker engine.";
            return;
        }
        Port = FreePort.Next();
        var (run, id) = await DockerAsync("run", "-d", "--rm", "-p", $"127.0.0.1:{Port}:6032", image);
        Assert.True(run == 0, $"docker run {image} failed: {id}");
        _container = id.Trim();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await using var c = Connect();
                await c.OpenAsync();
                await new MySqlCommand("SELECT 1", c).ExecuteScalarAsync();
                return;
            }
            catch (MySqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    public MySqlConnection Connect() => new(new MySqlConnectionStringBuilder
    {
        Server = "127.0.0.1", Port = (uint)Port, UserID = "radmin", Password = "radmin", Pooling = false, ConnectionTimeout = 5,
    }.ConnectionString);

    public async ValueTask DisposeAsync()
    {
        if (_container is not null) await DockerAsync("rm", "-f", _container);
    }

    private static async Task<(int Exit, string Output)> DockerAsync(params string[] args)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(info)!;
            var output = await p.StandardOutput.ReadToEndAsync();
            var error = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            return (p.ExitCode, p.ExitCode == 0 ? output : error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}

/// <summary>The adapter and the captured transcripts against a real ProxySQL (skipped without one; see the fixture).</summary>
public sealed class RealProxySqlTests(RealProxySqlFixture fixture) : IClassFixture<RealProxySqlFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IProxySqlAdmin Node()
    {
        if (fixture.SkipReason is { } reason) Assert.Skip(reason);
        return new ProxySqlAdminClient(fixture.Endpoint, "real-proxysql");
    }

    [Fact]
    public async Task ReplaceQueryRules_ConfirmedInRuntime_RejectedRowNamesWriteStep()
    {
        var node = Node();

        var applied = await node.ReplaceQueryRulesAsync(QueryRuleEvaluatorTests.SeedRules, Ct);
        var rejected = await node.ReplaceQueryRulesAsync([QueryRuleEvaluatorTests.SeedRules[0] with { Multiplex = 7 }], Ct);

        Assert.True(applied.Succeeded, applied.ToString());
        Assert.Equal(QueryRuleEvaluatorTests.SeedRules, await node.GetQueryRulesAsync(AdminLayer.Runtime, Ct));
        Assert.Equal(ChangeStep.Write, rejected.FailedStep);
        Assert.Equal("ProxySQL Admin Error: CHECK constraint failed: multiplex IN (0,1,2)", rejected.Message);
        Assert.Equal(QueryRuleEvaluatorTests.SeedRules, await node.GetQueryRulesAsync(AdminLayer.Memory, Ct));
    }

    [Fact]
    public async Task ServersUsersVariables_RoundTrip()
    {
        var node = Node();
        ProxySqlServer db2 = new() { HostgroupId = 20, Hostname = "127.0.0.1", Port = 33062, Weight = 1000 };

        Assert.True((await node.ReplaceServersAsync([db2 with { Status = ServerStatus.OfflineSoft }], Ct)).Succeeded);
        Assert.True((await node.ReplaceUsersAsync([new() { Username = "app", Password = "apppw", DefaultHostgroup = 10 }], Ct)).Succeeded);
        Assert.True((await node.SetVariablesAsync([new GlobalVariable("mysql-monitor_read_only_interval", "2000")], Ct)).Succeeded);

        Assert.Equal(ServerStatus.OfflineSoft, Assert.Single(await node.GetServersAsync(AdminLayer.Runtime, Ct)).Status);
        Assert.Contains(new GlobalVariable("mysql-monitor_read_only_interval", "2000"), await node.GetVariablesAsync("mysql-monitor_", AdminLayer.Runtime, Ct));
        Assert.NotNull(await node.GetConnectionPoolAsync(Ct));
    }

    [Fact]
    public async Task CapturedTranscript_ReplaysOnRealProxySql()
    {
        Node();
        var steps = AdminTranscript.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Shared, "proxysql", "load_save_query_rules.txt"), Ct))
            .Where(s => !s.Statement.Contains("runtime_checksums_values", StringComparison.Ordinal));
        await using var connection = fixture.Connect();
        await connection.OpenAsync(Ct);
        await new MySqlCommand("DELETE FROM mysql_query_rules", connection).ExecuteNonQueryAsync(Ct);

        await AdminTranscript.ReplayAsync(connection, steps, Ct);
    }

    [Fact]
    public async Task SaveToRuntime_Benchmark_UnderTwoHundredMilliseconds()
    {
        var node = Node();

        var figures = await SaveBenchmark.RunAsync(node, "REAL ProxySQL", 20, Ct);

        TestContext.Current.SendDiagnosticMessage(figures.ToString());
        Assert.True(figures.MedianMs < 200, figures.ToString());
    }
}
