using HaPortal.Core.Rendering;
using HaPortal.Core.Topology;

namespace HaPortal.Tests.Rendering;

public class MyCnfRendererTests
{
    private static string[] Lines(string variant, string node) =>
        MyCnfRenderer.Render(Topologies.Variant(variant), node).Split('\n');

    [Fact]
    public void ServerIds_FollowTheNodeName_DistinctAndUnchangedWhenRolesSwap()
    {
        var db = Topologies.Variant("two-routers-vip").Database;
        var swapped = db with { Primary = db.Replicas[1], Replicas = [db.Replicas[0], db.Primary!] };

        var ids = MyCnfRenderer.ServerIds(db);

        Assert.Equal(3, ids.Values.Distinct().Count());
        Assert.All(ids.Values, id => Assert.InRange(id, 1, int.MaxValue));
        Assert.Equal(ids.OrderBy(kv => kv.Key), MyCnfRenderer.ServerIds(swapped).OrderBy(kv => kv.Key));
        Assert.Equal(MyCnfRenderer.ServerId("db1"), ids["db1"]);
        Assert.Empty(MyCnfRenderer.ServerIdClashes(db));
    }

    [Theory]
    [InlineData("db1")]
    [InlineData("db2")]
    public void Render_EveryNode_BootsReadOnlyWithItsOwnServerId(string node)
    {
        var lines = Lines("seed", node);

        Assert.Contains($"server_id = {MyCnfRenderer.ServerId(node)}", lines);
        Assert.Contains("read_only = ON", lines);
        Assert.DoesNotContain("read_only = OFF", lines);
    }

    [Fact]
    public void Render_PrimaryAndReplicaSwapped_GiveTheSameFiles()
    {
        var seed = Topologies.Seed;
        var swapped = seed with { Database = seed.Database with { Primary = seed.Database.Replicas[0], Replicas = [seed.Database.Primary!] } };

        Assert.Equal(MyCnfRenderer.Render(seed, "db1"), MyCnfRenderer.Render(swapped, "db1"));
        Assert.Equal(MyCnfRenderer.Render(seed, "db2"), MyCnfRenderer.Render(swapped, "db2"));
    }

    [Theory]
    [InlineData("seed")]
    [InlineData("mysql")]
    public void Render_EveryNode_WritesRowBinlogDurably(string variant)
    {
        var lines = Lines(variant, "db2");

        Assert.Contains("[mysqld]", lines);
        Assert.Contains("log_bin = mysql-bin", lines);
        Assert.Contains("binlog_format = ROW", lines);
        Assert.Contains("relay_log = relay-bin", lines);
        Assert.Contains("bind_address = 0.0.0.0", lines);
        Assert.Contains("skip_name_resolve = ON", lines);
        Assert.Contains("innodb_flush_log_at_trx_commit = 1", lines);
        Assert.Contains("sync_binlog = 1", lines);
    }

    [Fact]
    public void Render_MariaDb_UsesStrictGtidAndSlaveUpdates()
    {
        var lines = Lines("seed", "db1");

        Assert.Contains("gtid_strict_mode = ON", lines);
        Assert.Contains("log_slave_updates = ON", lines);
        Assert.DoesNotContain("gtid_mode = ON", lines);
    }

    [Fact]
    public void Render_MySql_UsesMySql8Names()
    {
        var lines = Lines("mysql", "db1");

        Assert.Contains("gtid_mode = ON", lines);
        Assert.Contains("enforce_gtid_consistency = ON", lines);
        Assert.Contains("log_replica_updates = ON", lines);
        Assert.DoesNotContain("gtid_strict_mode = ON", lines);
        Assert.DoesNotContain("log_slave_updates = ON", lines);
    }

    [Theory]
    [InlineData("semi-sync", "db1", "rpl_semi_sync_master_enabled = ON", "rpl_semi_sync_slave_enabled = ON")]
    [InlineData("semi-sync", "db2", "rpl_semi_sync_master_enabled = ON", "rpl_semi_sync_slave_enabled = ON")]
    [InlineData("mysql-semi-sync", "db1", "rpl_semi_sync_source_enabled = ON", "rpl_semi_sync_replica_enabled = ON")]
    [InlineData("mysql-semi-sync", "db2", "rpl_semi_sync_source_enabled = ON", "rpl_semi_sync_replica_enabled = ON")]
    public void Render_SemiSync_EnablesBothSidesOnEveryNodeSoPromotionWorks(string variant, string node, string source, string replica)
    {
        var lines = Lines(variant, node);

        Assert.Contains(source, lines);
        Assert.Contains(replica, lines);
        Assert.Contains(lines, l => l.StartsWith("rpl_semi_sync_", StringComparison.Ordinal) && l.Contains("_timeout = 10000", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("semi-sync", "db1")]
    [InlineData("semi-sync", "db2")]
    public void Render_MariaDbSemiSync_EveryNodeRecoversFromACrashAsAReplica(string variant, string node) =>
        // A crashed primary drops its unacknowledged transactions at recovery, so it can rejoin the new primary.
        Assert.Contains("init_rpl_role = SLAVE", Lines(variant, node));

    [Fact]
    public void Render_ReplicasGiveUpOnASilentPrimaryAfterFiveSeconds() =>
        Assert.Contains("slave_net_timeout = 5", Lines("semi-sync", "db2"));

    [Fact]
    public void Render_SemiSyncOff_HasNoSemiSyncSettings() =>
        Assert.DoesNotContain("semi_sync", MyCnfRenderer.Render(Topologies.Seed, "db1"));

    [Fact]
    public void Render_UnknownNode_IsRefused() =>
        Assert.Throws<ArgumentException>(() => MyCnfRenderer.Render(Topologies.Seed, "web1"));
}
