using HaPortal.Core.Replication;

namespace HaPortal.Tests.Replication;

public sealed class CandidateChooserTests
{
    private static NodeStatus Replica(string name, string state, string? current = null, string sqlError = "", bool reachable = true) =>
        reachable
            ? new NodeStatus(name, new DbEndpoint(name, "127.0.0.1", 1), true, null)
            {
                ServerId = long.Parse(name[2..]),
                BinlogState = state,
                CurrentPos = current ?? string.Join(",", GtidList.Parse(state).Entries.GroupBy(e => e.Domain).Select(g => g.MaxBy(e => e.Seq))),
                ReadOnly = true,
                Replica = new ReplicaStatus("127.0.0.1", 1, 1, "Connecting", sqlError.Length > 0 ? "No" : "Yes", null, "", sqlError, "", "Slave_Pos"),
            }
            : NodeStatus.Unreachable(new DbEndpoint(name, "127.0.0.1", 1), "Connection refused");

    public static TheoryData<string, NodeStatus[], Dictionary<string, int>, string?, string> Cases => new()
    {
        { "most advanced wins over priority", [Replica("db2", "0-1-10"), Replica("db3", "0-1-12")], new() { ["db2"] = 100 }, "db3", "db2: less advanced: 2 transactions behind db3" },
        { "tie goes to priority", [Replica("db2", "0-1-12"), Replica("db3", "0-1-12")], new() { ["db3"] = 5 }, "db3", "db2: as advanced as db3, which wins on priority" },
        { "tie and same priority go to the name", [Replica("db3", "0-1-12"), Replica("db2", "0-1-12")], new(), "db2", "db3: as advanced as db2, which wins on name" },
        { "errant candidate refused", [Replica("db2", "0-1-12,0-2-13"), Replica("db3", "0-1-12")], new(), "db3", "db2: errant transactions: 0-2-13" },
        { "errant known to another node is fine", [Replica("db2", "0-1-12,0-2-5"), Replica("db3", "0-1-12,0-2-5")], new() { ["db2"] = 1 }, "db2", "db3: as advanced as db2, which wins on priority" },
        { "unreachable refused", [Replica("db2", "", reachable: false), Replica("db3", "0-1-3")], new() { ["db2"] = 9 }, "db3", "db2: unreachable: Connection refused" },
        { "SQL error refused", [Replica("db2", "0-1-12", sqlError: "Duplicate entry"), Replica("db3", "0-1-3")], new(), "db3", "db2: SQL thread stopped with an error: Duplicate entry" },
        { "none eligible", [Replica("db2", "0-1-1,0-2-2")], new(), null, "db2: errant transactions: 0-2-2" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Choose_PicksMostAdvancedEligible_AndSaysWhyNot(string because, NodeStatus[] replicas, Dictionary<string, int> priorities, string? expected, string whyNotStartsWith)
    {
        var choice = CandidateChooser.Choose(replicas, priorities, primaryServerId: 1, GtidList.Empty);

        Assert.True(expected == choice.Chosen, $"{because}: chose {choice.Chosen}");
        Assert.Contains(choice.WhyNot, w => w.StartsWith(whyNotStartsWith, StringComparison.Ordinal));
    }

    [Fact]
    public void Choose_HistoryFromAFormerPrimary_IsNotErrant_EvenWhenNoOtherNodeHasIt()
    {
        // db1 was primary once (0-1-7), db4 is the primary that died; db3 alone survives.
        var choice = CandidateChooser.Choose([Replica("db3", "0-1-7,0-4-9")], new Dictionary<string, int>(), 4, GtidList.Empty);
        Assert.Equal("db3", choice.Chosen);
    }

    [Fact]
    public void Choose_PrimaryOriginTransactionsAreNeverErrant()
    {
        // db3 received the primary's last transaction and nobody else did: that makes it the best candidate, not an errant one.
        var choice = CandidateChooser.Choose([Replica("db2", "0-1-10"), Replica("db3", "0-1-11")], new Dictionary<string, int>(), 1, GtidList.Parse("0-1-9"));
        Assert.Equal("db3", choice.Chosen);
    }
}

public sealed class MySqlFlavorTests
{
    [Fact]
    public async Task Switchover_MySqlTopology_IsRefusedAsNotSupported_WithoutTouchingAServer()
    {
        var cluster = new ReplicationCluster("my", HaPortal.Core.Topology.DatabaseFlavor.MySql, "db1",
            [new("db1", 0, new DbEndpoint("db1", "127.0.0.1", 1)), new("db2", 0, new DbEndpoint("db2", "127.0.0.1", 2))]);
        var control = new MySqlReplicationControl(new ReplicationCredentials("a", "b", "c", "d"), HaPortal.Core.Topology.DatabaseFlavor.MySql);
        var ops = new ReplicationOperations(control, new ReadOnlyFencing(control), new NoRouterSwitch(), TimeProvider.System);

        var result = await ops.SwitchoverAsync(cluster, "db2", HaPortal.Core.Security.Actor.CommandLine(), TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Contains("comparing MySQL GTID sets (UUID:interval) is not implemented", result.Summary);
    }

    [Theory]
    [InlineData(HaPortal.Core.Topology.DatabaseFlavor.MariaDb, "SHOW SLAVE STATUS", "MASTER_USE_GTID=slave_pos")]
    [InlineData(HaPortal.Core.Topology.DatabaseFlavor.MySql, "SHOW REPLICA STATUS", "SOURCE_AUTO_POSITION=1")]
    public void Dialect_UsesTheFlavorsSyntax(HaPortal.Core.Topology.DatabaseFlavor flavor, string status, string positioning)
    {
        var sql = ReplicationDialect.For(flavor);
        Assert.Equal(status, sql.ReplicaStatus);
        Assert.Contains(positioning, sql.ChangeSource(new DbEndpoint("db1", "h", 3306), new ReplicationCredentials("a", "b", "repl", "it's")));
        Assert.Contains("'it''s'", sql.ChangeSource(new DbEndpoint("db1", "h", 3306), new ReplicationCredentials("a", "b", "repl", "it's")));
    }
}
