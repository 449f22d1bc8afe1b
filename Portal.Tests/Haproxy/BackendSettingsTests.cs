using HaPortal.Core.Audit;
using HaPortal.Core.Haproxy;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Haproxy;

/// <summary>
/// Structural settings against a real master-worker HAProxy: the config is rendered from the stored topology (web
/// nodes mapped to the fixture's loopback backends), checked with haproxy -c, installed and reloaded.
/// </summary>
public sealed class BackendSettingsTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    internal static readonly Actor Operator = new("olga", new HashSet<string> { Roles.Operator });
    internal const string Name = "hx-settings-haproxy-ops";

    private readonly TestDatabase _db = new();
    private readonly BackendOperations _operations;

    public BackendSettingsTests() => _operations = new BackendOperations(_db.Topologies, _db.Audit);

    /// <summary>The seed stack without its stats listener (a fixed port), under a name of its own.</summary>
    internal static TopologySpec Topology()
    {
        var seed = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!;
        return seed with { Name = Name, LoadBalancer = seed.LoadBalancer with { Stats = seed.LoadBalancer.Stats with { Enabled = false } } };
    }

    internal static HaproxySettings Settings(HaproxyStack stack) => new()
    {
        RuntimeEndpoint = stack.AdminSocket, ConfigPath = stack.ConfigPath, MasterSocket = stack.MasterSocket.UnixPath, Binary = stack.Binary,
        FrontendBind = $"127.0.0.1:{stack.FrontendPort}",
        NodeAddresses = stack.BackendPorts.ToDictionary(p => p.Key, p => $"127.0.0.1:{p.Value}"),
    };

    private async Task<HaproxyTarget> StartAsync(HaproxyStack stack)
    {
        Assert.True((await _db.Topologies.SaveAsync(Topology(), Operator, "seed", Ct)).Saved);
        var (target, problems) = new HaproxyTargets(TimeProvider.System).Resolve(Settings(stack));
        Assert.Empty(problems);
        return target!;
    }

    [Fact]
    public async Task ValidCookieAndCheckChange_ReloadsHaproxy_ResponsesCarryTheNewCookie_RevisionAndAudit()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var target = await StartAsync(stack);
        var before = await target.Reloader!.ShowProcAsync(Ct);

        var result = await _operations.ApplySettingsAsync(target, Operator, Name,
            BackendSettings.From(Topology().LoadBalancer) with { Cookie = "PORTALSID", Balance = "leastconn", IntervalMs = 500 }, Ct);

        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        Assert.NotEqual(before.CurrentWorker, result.WorkerPid);
        var web = (await stack.Runtime.ListBackendsAsync(Ct)).Single(b => b.Name == "web");
        Assert.Equal(("PORTALSID", "leastconn"), (web.Cookie, web.Algorithm));
        await stack.WaitUntilAsync(async () => (await stack.Runtime.ListBackendsAsync(Ct)).Single(b => b.Name == "web").Servers.All(s => s.Status == "UP"), "servers UP", Ct);
        using var client = stack.Client();
        using var response = await client.GetAsync("/", Ct);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("PORTALSID=", StringComparison.Ordinal));
        var stored = (await _db.Topologies.GetAsync(Name, ct: Ct))!;
        Assert.Equal("PORTALSID", stored.Spec.LoadBalancer.StickySessions.Cookie);
        Assert.Contains("stickySessions.cookie SERVERID → PORTALSID", stored.Revision.Comment);
        var audit = (await _db.Audit.QueryAsync(new AuditQuery(Action: "haproxy.settings"), Ct)).Single();
        Assert.Equal(("olga", $"{Name}/loadBalancer"), (audit.User, audit.Target));
    }

    [Fact]
    public async Task InvalidInput_EveryProblemOnItsField_NothingReloadedOrSaved()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var target = await StartAsync(stack);
        var live = await File.ReadAllTextAsync(stack.ConfigPath, Ct);

        var result = await _operations.ApplySettingsAsync(target, Operator, Name, BackendSettings.From(Topology().LoadBalancer) with
        {
            Balance = "fastest", Cookie = "BAD COOKIE", StickyMode = "rewrite", Indirect = true, CheckPath = "health", Rise = 0, ExpectStatus = 700,
        }, Ct);

        Assert.Equal(["balance", "checkPath", "cookie", "expectStatus", "indirect", "rise"], result.Problems.Select(p => p.Path).Order());
        Assert.Equal(live, await File.ReadAllTextAsync(stack.ConfigPath, Ct));
        Assert.Single(await _db.Topologies.HistoryAsync(Name, Ct));
        Assert.Empty(await _db.Audit.QueryAsync(new AuditQuery(Action: "haproxy.settings"), Ct));
    }

    [Fact]
    public async Task ConfigHaproxyRejects_ShowsHaproxysMessage_AndTheOldConfigKeepsServing()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var target = await StartAsync(stack);
        var live = await File.ReadAllTextAsync(stack.ConfigPath, Ct);
        var before = await target.Reloader!.ShowProcAsync(Ct);

        // A valid cookie token (RFC 6265 allows ') that HAProxy's config parser reads as an opening quote.
        var result = await _operations.ApplySettingsAsync(target, Operator, Name,
            BackendSettings.From(Topology().LoadBalancer) with { Cookie = "SERVER'ID" }, Ct);

        var problem = Assert.Single(result.Problems);
        Assert.Equal("haproxy", problem.Path);
        Assert.Contains("unmatched quote", problem.Message);
        Assert.Equal(live, await File.ReadAllTextAsync(stack.ConfigPath, Ct));
        Assert.Equal(before.Reloads, (await target.Reloader.ShowProcAsync(Ct)).Reloads);
        Assert.Single(await _db.Topologies.HistoryAsync(Name, Ct));
        using var client = stack.Client();
        using var response = await client.GetAsync("/", Ct);
        Assert.StartsWith("backend web", await response.Content.ReadAsStringAsync(Ct));
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("SERVERID=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DrainIsStored_ARenderedReloadKeepsIt_AndReadyGivesTheWeightBack()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var target = await StartAsync(stack);

        var drained = await _operations.SetStateAsync(stack.Runtime, Operator, "web", "web1", "drain", Name, Ct);
        var stored = (await _db.Topologies.GetAsync(Name, ct: Ct))!.Spec.Web.Nodes.Single(n => n.Name == "web1");
        var reload = await _operations.ApplySettingsAsync(target, Operator, Name, BackendSettings.From(Topology().LoadBalancer) with { Balance = "leastconn" }, Ct);
        var afterReload = await stack.Runtime.GetServerAsync("web", "web1", Ct);
        var ready = await _operations.SetStateAsync(stack.Runtime, Operator, "web", "web1", "ready", Name, Ct);

        Assert.True(drained.Succeeded && reload.Succeeded && ready.Succeeded);
        Assert.Equal(WebNodeState.Drain, stored.State);
        Assert.Equal(0, afterReload!.Weight);
        Assert.Equal((ServerAdminState.Ready, 100), (ready.Server!.Admin, ready.Server.Weight));
        Assert.Equal(WebNodeState.Ready, (await _db.Topologies.GetAsync(Name, ct: Ct))!.Spec.Web.Nodes.Single(n => n.Name == "web1").State);
    }

    public void Dispose() => _db.Dispose();
}

internal static class HaproxySettingsConfig
{
    /// <summary>The settings as the configuration keys the page reads (section Haproxy).</summary>
    public static Dictionary<string, string?> ToDictionary(this HaproxySettings s)
    {
        var d = new Dictionary<string, string?>
        {
            ["Haproxy:RuntimeEndpoint"] = s.RuntimeEndpoint, ["Haproxy:ConfigPath"] = s.ConfigPath, ["Haproxy:MasterSocket"] = s.MasterSocket,
            ["Haproxy:Binary"] = s.Binary, ["Haproxy:FrontendBind"] = s.FrontendBind,
        };
        foreach (var (name, address) in s.NodeAddresses) d[$"Haproxy:NodeAddresses:{name}"] = address;
        return d;
    }
}
