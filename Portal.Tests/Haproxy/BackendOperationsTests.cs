using HaPortal.Core.Audit;
using HaPortal.Core.Haproxy;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Haproxy;

/// <summary>Runtime change → read back → topology revision → audit, against a real HAProxy and a real SQLite store.</summary>
public sealed class BackendOperationsTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly Actor Operator = new("olga", new HashSet<string> { Roles.Operator });
    private static readonly Actor Viewer = new("vic", new HashSet<string> { Roles.Viewer });

    private readonly TestDatabase _db = new();
    private readonly BackendOperations _operations;

    public BackendOperationsTests() => _operations = new BackendOperations(_db.Topologies, _db.Audit);

    private async Task SeedAsync() =>
        Assert.True((await _db.Topologies.SaveAsync(TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!, Operator, "seed", Ct)).Saved);

    [Fact]
    public async Task SetWeight_ChangesHaproxy_SavesARevision_AndAudits()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        await SeedAsync();

        var result = await _operations.SetWeightAsync(stack.Runtime, Operator, "web", "web1", 50, "seed-stack", Ct);

        Assert.True(result.Succeeded);
        Assert.Equal(50, result.Server!.Weight);
        Assert.Equal(50, (await stack.Runtime.GetServerAsync("web", "web1", Ct))!.Weight);
        var stored = await _db.Topologies.GetAsync("seed-stack", ct: Ct);
        Assert.Equal(50, stored!.Spec.Web.Nodes.Single(n => n.Name == "web1").Weight);
        Assert.Equal("runtime: web1 weight 100 → 50", stored.Revision.Comment);
        var audit = await _db.Audit.QueryAsync(new AuditQuery(Action: "haproxy.set-weight"), Ct);
        Assert.Equal(("olga", "web/web1", "runtime: web1 weight 100 → 50"), (audit.Single().User, audit.Single().Target, audit.Single().Summary));
    }

    [Fact]
    public async Task SetWeight_InvalidInput_ReportsEveryProblemWithItsField_AndChangesNothing()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        var result = await _operations.SetWeightAsync(stack.Runtime, Operator, "web", "web9", 300, "no-such-stack", Ct);

        Assert.False(result.Succeeded);
        Assert.Equal(["server", "topology", "weight"], result.Problems.Select(p => p.Path).Order());
        Assert.All((await stack.Runtime.ListBackendsAsync(Ct)).Single(b => b.Name == "web").Servers, s => Assert.Equal(100, s.Weight));
        Assert.Empty(await _db.Audit.QueryAsync(new AuditQuery(), Ct));
    }

    [Fact]
    public async Task SetState_UnknownState_IsAProblemOnTheStateField()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        var result = await _operations.SetStateAsync(stack.Runtime, Operator, "web", "web1", "sleep", null, Ct);

        Assert.Equal("state", Assert.Single(result.Problems).Path);
        Assert.Equal(ServerAdminState.Ready, (await stack.Runtime.GetServerAsync("web", "web1", Ct))!.Admin);
    }

    [Fact]
    public async Task SetState_Drain_IsConfirmedAndAudited()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        var result = await _operations.SetStateAsync(stack.Runtime, Operator, "web", "web2", "drain", null, Ct);

        Assert.True(result.Succeeded);
        Assert.Equal(ServerAdminState.Drain, result.Server!.Admin);
        Assert.Equal("runtime: web2 state ready → drain", (await _db.Audit.QueryAsync(new AuditQuery(Action: "haproxy.set-state"), Ct)).Single().Summary);
    }

    [Fact]
    public async Task Viewer_IsRefused_AndNothingChanges()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        await Assert.ThrowsAsync<ForbiddenException>(() => _operations.SetWeightAsync(stack.Runtime, Viewer, "web", "web1", 5, null, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => _operations.SetStateAsync(stack.Runtime, Viewer, "web", "web1", "maint", null, Ct));

        var web1 = await stack.Runtime.GetServerAsync("web", "web1", Ct);
        Assert.Equal((100, ServerAdminState.Ready), (web1!.Weight, web1.Admin));
    }

    [Fact]
    public async Task AddThenRemove_ChangesHaproxyAndTheTopologysWebNodes()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        await SeedAsync();

        var added = await _operations.AddServerAsync(stack.Runtime, Operator, "web",
            new DynamicServer("web3", "127.0.0.1", stack.BackendPorts["web3"], Weight: 20), "seed-stack", Ct);
        var nodesAfterAdd = (await _db.Topologies.GetAsync("seed-stack", ct: Ct))!.Spec.Web.Nodes.Select(n => (n.Name, n.Weight)).ToArray();
        var removed = await _operations.RemoveServerAsync(stack.Runtime, Operator, "web", "web3", TimeSpan.FromSeconds(10), false, "seed-stack", Ct);

        Assert.True(added.Succeeded, string.Join("; ", added.Problems));
        Assert.Equal([("web1", 100), ("web2", 100), ("web3", 20)], nodesAfterAdd);
        Assert.True(removed.Succeeded, string.Join("; ", removed.Problems));
        Assert.Equal(RemovalOutcome.Deleted, removed.Removal!.Outcome);
        Assert.Null(await stack.Runtime.GetServerAsync("web", "web3", Ct));
        Assert.Equal(["web1", "web2"], (await _db.Topologies.GetAsync("seed-stack", ct: Ct))!.Spec.Web.Nodes.Select(n => n.Name));
    }

    [Fact]
    public async Task Add_ExistingServerName_IsRefusedBeforeAnythingChanges()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        var result = await _operations.AddServerAsync(stack.Runtime, Operator, "web", new DynamicServer("web1", "127.0.0.1", 1, Weight: 999), null, Ct);

        Assert.Equal(["server", "weight"], result.Problems.Select(p => p.Path).Order());
        Assert.Equal(2, (await stack.Runtime.ListBackendsAsync(Ct)).Single(b => b.Name == "web").Servers.Count);
    }

    public void Dispose() => _db.Dispose();
}
