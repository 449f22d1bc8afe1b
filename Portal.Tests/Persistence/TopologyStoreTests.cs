using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Persistence;

public sealed class TopologyStoreTests : IDisposable
{
    private readonly TestDatabase _db = new();
    private readonly Actor _alice = new("alice", new HashSet<string> { Roles.Operator });
    private readonly Actor _victor = new("victor", new HashSet<string> { Roles.Viewer });
    private static readonly TopologySpec Seed = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!;

    private static TopologySpec WithWeight(TopologySpec spec, int weight) =>
        spec with { Web = spec.Web with { Nodes = spec.Web.Nodes.SetItem(0, spec.Web.Nodes[0] with { Weight = weight }) } };

    private TopologyStore Store => _db.Topologies;

    [Fact]
    public async Task Save_EveryChange_AddsARevisionWithAuthorTimeAndComment()
    {
        await Store.SaveAsync(Seed, _alice, "first", TestContext.Current.CancellationToken);
        _db.Time.Advance(TimeSpan.FromMinutes(5));
        var second = await Store.SaveAsync(WithWeight(Seed, 50), _alice, "lighter web1", TestContext.Current.CancellationToken);

        var history = await Store.HistoryAsync("seed-stack", TestContext.Current.CancellationToken);

        Assert.Equal(2, second.Revision!.Number);
        Assert.Equal([2, 1], history.Select(h => h.Number));
        Assert.Equal(("alice", "lighter web1"), (history[0].Author, history[0].Comment));
        Assert.Equal(_db.Time.GetUtcNow(), history[0].CreatedAt);
        Assert.Equal(50, (await Store.GetAsync("seed-stack", ct: TestContext.Current.CancellationToken))!.Spec.Web.Nodes[0].Weight);
        Assert.Equal(100, (await Store.GetAsync("seed-stack", 1, TestContext.Current.CancellationToken))!.Spec.Web.Nodes[0].Weight);
    }

    [Fact]
    public async Task Save_Unchanged_AddsNoRevision()
    {
        await Store.SaveAsync(Seed, _alice, "first", TestContext.Current.CancellationToken);

        var again = await Store.SaveAsync(Seed, _alice, "same again", TestContext.Current.CancellationToken);

        Assert.Equal(1, again.Revision!.Number);
        Assert.Single(await Store.HistoryAsync("seed-stack", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Save_Invalid_StoresNothingAndReturnsEveryError()
    {
        var broken = WithWeight(Seed, 999) with { LoadBalancer = Seed.LoadBalancer with { PublishPort = 0 } };

        var outcome = await Store.SaveAsync(broken, _alice, "broken", TestContext.Current.CancellationToken);

        Assert.False(outcome.Saved);
        Assert.Equal(["loadBalancer.publishPort", "web.nodes[0].weight"], outcome.Report.Errors.Select(e => e.Path).Order());
        Assert.Empty(await Store.ListAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await _db.Audit.QueryAsync(new(), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Save_ByViewer_IsRefusedOnTheServer()
    {
        await Assert.ThrowsAsync<ForbiddenException>(() => Store.SaveAsync(Seed, _victor, "sneaky", TestContext.Current.CancellationToken));

        Assert.Empty(await Store.ListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Restore_OldRevision_BecomesANewRevisionAndHistoryIsKept()
    {
        await Store.SaveAsync(Seed, _alice, "first", TestContext.Current.CancellationToken);
        await Store.SaveAsync(WithWeight(Seed, 50), _alice, "lighter", TestContext.Current.CancellationToken);

        var restored = await Store.RestoreAsync("seed-stack", 1, _alice, TestContext.Current.CancellationToken);

        Assert.Equal(3, restored!.Revision!.Number);
        Assert.Equal("restored revision 1", restored.Revision.Comment);
        Assert.Equal(Seed, (await Store.GetAsync("seed-stack", ct: TestContext.Current.CancellationToken))!.Spec);
        Assert.Equal(3, (await Store.HistoryAsync("seed-stack", TestContext.Current.CancellationToken)).Count);
    }

    [Fact]
    public async Task Save_WritesAnAuditEntryWithBeforeAndAfter()
    {
        await Store.SaveAsync(Seed, _alice, "first", TestContext.Current.CancellationToken);
        await Store.SaveAsync(WithWeight(Seed, 50), _alice, "lighter", TestContext.Current.CancellationToken);

        var entries = await _db.Audit.QueryAsync(new(Action: "topology.save"), TestContext.Current.CancellationToken);

        Assert.Equal(2, entries.Count);
        var latest = entries[0];
        Assert.Equal(("alice", "seed-stack"), (latest.User, latest.Target));
        Assert.Contains("web.nodes[web1].weight 100 → 50", latest.Summary);
        Assert.Contains("weight: 100", latest.Before);
        Assert.Contains("weight: 50", latest.After);
    }

    [Fact]
    public async Task Delete_RemovesTheTopologyAndAuditsIt()
    {
        await Store.SaveAsync(Seed, _alice, "first", TestContext.Current.CancellationToken);

        Assert.True(await Store.DeleteAsync("seed-stack", _alice, TestContext.Current.CancellationToken));

        Assert.Null(await Store.GetAsync("seed-stack", ct: TestContext.Current.CancellationToken));
        Assert.Single(await _db.Audit.QueryAsync(new(Action: "topology.delete"), TestContext.Current.CancellationToken));
    }

    public void Dispose() => _db.Dispose();
}
