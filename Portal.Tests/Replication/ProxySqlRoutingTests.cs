using HaPortal.Core.ProxySql;
using HaPortal.Core.Replication;
using HaPortal.Core.Topology;
using HaPortal.Tests.ProxySql;

namespace HaPortal.Tests.Replication;

/// <summary>ProxySQL routing switch and OFFLINE_HARD fencing against the ProxySQL admin double (two ProxySQL nodes).</summary>
public sealed class ProxySqlRoutingTests : IAsyncLifetime
{
    private readonly ProxySqlAdminDouble _p1 = ProxySqlAdminDouble.Start();
    private readonly ProxySqlAdminDouble _p2 = ProxySqlAdminDouble.Start();
    private IProxySqlAdmin[] _nodes = [];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly ReplicationCluster Cluster = new("stack", DatabaseFlavor.MariaDb, "db1",
    [
        new("db1", 0, new DbEndpoint("db1", "127.0.0.1", 33061) { ReplicationHost = "db1", ReplicationPort = 3306 }),
        new("db2", 0, new DbEndpoint("db2", "127.0.0.1", 33062) { ReplicationHost = "db2", ReplicationPort = 3306 }),
        new("db3", 0, new DbEndpoint("db3", "127.0.0.1", 33063) { ReplicationHost = "db3", ReplicationPort = 3306 }),
    ]);

    public async ValueTask InitializeAsync()
    {
        _nodes = [Connect(_p1, "proxysql1"), Connect(_p2, "proxysql2")];
        foreach (var n in _nodes)
            Assert.True((await n.ReplaceServersAsync(
            [
                new() { HostgroupId = 10, Hostname = "db1", Weight = 1000 },
                new() { HostgroupId = 20, Hostname = "db2" },
                new() { HostgroupId = 20, Hostname = "db3" },
            ], Ct)).Succeeded);
    }

    private static ProxySqlAdminClient Connect(ProxySqlAdminDouble d, string name) => new(new ProxySqlEndpoint("127.0.0.1", d.Port, d.User, d.Password), name);

    public async ValueTask DisposeAsync()
    {
        await _p1.DisposeAsync();
        await _p2.DisposeAsync();
    }

    private static IEnumerable<string> Rows(IEnumerable<ProxySqlServer> rows) =>
        rows.OrderBy(r => r.HostgroupId).ThenBy(r => r.Hostname).Select(r => $"{r.HostgroupId} {r.Hostname}:{r.Port} {r.Status} w{r.Weight}");

    [Fact]
    public async Task Switchover_MovesWriterAndReaderHostgroups_OnEveryNode_ConfirmedInRuntime()
    {
        var routing = new ProxySqlRoutingSwitch(_nodes, 10, 20, TimeProvider.System);

        var result = await routing.MoveWriterAsync(Cluster, Cluster.Get("db1"), Cluster.Get("db2"), Ct);

        Assert.True(result.Ok, result.Detail);
        foreach (var n in _nodes)
            Assert.Equal(["10 db2:3306 ONLINE w1000", "20 db1:3306 ONLINE w1", "20 db3:3306 ONLINE w1"], Rows(await n.GetServersAsync(AdminLayer.Runtime, Ct)));
    }

    [Fact]
    public async Task Failover_FencedOldPrimaryStaysOfflineHard_AndNeverWritesAgain()
    {
        var fencing = new ProxySqlFencing(_nodes);
        var routing = new ProxySqlRoutingSwitch(_nodes, 10, 20, TimeProvider.System);

        var fence = await fencing.FenceAsync(Cluster.Get("db1"), Ct);
        Assert.True(fence.Confirmed, fence.Detail);
        Assert.Equal(["10 db1:3306 OFFLINE_HARD w1000", "20 db2:3306 ONLINE w1", "20 db3:3306 ONLINE w1"], Rows(await _nodes[1].GetServersAsync(AdminLayer.Runtime, Ct)));

        var moved = await routing.MoveWriterAsync(Cluster, Cluster.Get("db1"), Cluster.Get("db3"), Ct);

        Assert.True(moved.Ok, moved.Detail);
        foreach (var n in _nodes)
            Assert.Equal(["10 db3:3306 ONLINE w1000", "20 db1:3306 OFFLINE_HARD w1", "20 db2:3306 ONLINE w1"], Rows(await n.GetServersAsync(AdminLayer.Runtime, Ct)));
    }

    [Fact]
    public async Task Fencing_ProxySqlNodeFailsTheLoad_IsNotConfirmed_AndSaysWhere()
    {
        _p2.FailOn("LOAD MYSQL SERVERS", "simulated load failure");

        var fence = await new ProxySqlFencing(_nodes).FenceAsync(Cluster.Get("db1"), Ct);

        Assert.False(fence.Confirmed);
        Assert.Contains("proxysql2", fence.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Routing_ProxySqlNodeFailsTheLoad_ReportsTheNodeAndStep()
    {
        _p1.FailOn("LOAD MYSQL SERVERS", "simulated load failure");

        var moved = await new ProxySqlRoutingSwitch(_nodes, 10, 20, TimeProvider.System).MoveWriterAsync(Cluster, Cluster.Get("db1"), Cluster.Get("db2"), Ct);

        Assert.False(moved.Ok);
        Assert.Contains("proxysql1", moved.Detail, StringComparison.Ordinal);
        Assert.Contains("simulated load failure", moved.Detail, StringComparison.Ordinal);
        Assert.Equal(["10 db1:3306 ONLINE w1000", "20 db2:3306 ONLINE w1", "20 db3:3306 ONLINE w1"], Rows(await _nodes[0].GetServersAsync(AdminLayer.Memory, Ct)));
    }
}
