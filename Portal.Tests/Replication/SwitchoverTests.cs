using HaPortal.Core.Audit;
using HaPortal.Core.Replication;
using HaPortal.Core.Security;

namespace HaPortal.Tests.Replication;

public sealed class SwitchoverTests : IAsyncLifetime
{
    private ClusterSetup _s = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _s = await ClusterSetup.StartAsync();
        await WriteLoad.CreateTableAsync(_s.Nodes["db1"], ct: Ct);
    }

    public ValueTask DisposeAsync() => _s.DisposeAsync();

    [Fact]
    public async Task Switchover_ThereAndBack_UnderWriteLoad_KeepsEveryAcknowledgedRow()
    {
        var writer = _s.Nodes["db1"];
        _s.Routing.WriterMoved += (_, node) => writer = _s.Nodes[node.Name];
        var load = new WriteLoad(() => writer);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(stop.Token);
        await Task.Delay(300, Ct);

        var there = await _s.Operations.SwitchoverAsync(await _s.ClusterAsync(), "db2", ClusterSetup.Operator, Ct);
        await Task.Delay(300, Ct);
        var back = await _s.Operations.SwitchoverAsync(await _s.ClusterAsync(), "db1", ClusterSetup.Operator, Ct);
        await Task.Delay(300, Ct);
        await stop.CancelAsync();
        await running;

        Assert.True(there.Succeeded, there.Summary);
        Assert.True(back.Succeeded, back.Summary);
        Assert.All(there.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Reason}"));
        Assert.Equal(["pre-checks", "old primary read-only", "client connections killed", "candidate caught up", "promoted"],
            there.Timeline.Take(5).Select(t => t.Step));
        await _s.WaitCaughtUpAsync("db1", "db2", "db3");
        var acked = load.Acked.Select(a => a.Id).ToHashSet();
        Assert.True(acked.Count > 10, $"only {acked.Count} writes acknowledged");
        foreach (var node in new[] { "db1", "db2", "db3" })
        {
            var rows = (await _s.RowsAsync(node, "app.w")).ToHashSet();
            Assert.Empty(acked.Except(rows));
        }
        var view = await _s.Operations.StatusAsync(await _s.ClusterAsync(), Ct);
        Assert.Empty(view.Drift());
        Assert.Equal("db1", (await _s.ClusterAsync()).ExpectedPrimary);
        Assert.Equal(3, back.TopologyRevision);
        var audit = await _s.Db.Audit.QueryAsync(new AuditQuery(Action: "replication.switchover"), Ct);
        Assert.Equal(2, audit.Count);
    }

    [Fact]
    public async Task Switchover_CandidateWithErrantTransaction_IsRefusedWithThatReason_AndNothingChanges()
    {
        await _s.Nodes["db1"].ExecuteAsync("INSERT INTO app.w VALUES (1, 'a')", Ct);
        await _s.WaitCaughtUpAsync("db1", "db2", "db3");
        // An administrator writes on a replica by mistake (SUPER passes read_only): a GTID from server 2 the primary lacks.
        await _s.Nodes["db2"].ExecuteAsync("INSERT INTO app.w VALUES (1000, 'oops')", Ct);

        var result = await _s.Operations.SwitchoverAsync(await _s.ClusterAsync(), "db2", ClusterSetup.Operator, Ct);

        Assert.False(result.Succeeded);
        var check = Assert.Single(result.Checks, c => c.Name == "no errant transactions");
        Assert.False(check.Passed);
        Assert.Contains("errant transactions: db2 has 0-2-", check.Reason);
        Assert.Contains("errant", result.Summary);
        var view = await _s.Operations.StatusAsync(await _s.ClusterAsync(), Ct);
        Assert.Equal(["db1"], view.Writers.Select(w => w.Name));
        Assert.Equal(1, (await _s.Db.Topologies.GetAsync(ClusterSetup.Topology, ct: Ct))!.Revision.Number);
        Assert.Single(await _s.Db.Audit.QueryAsync(new AuditQuery(Action: "replication.switchover.refused"), Ct));
    }

    [Fact]
    public async Task Switchover_CandidateCannotCatchUp_RollsBack()
    {
        await _s.Nodes["db1"].ExecuteAsync("INSERT INTO app.w VALUES (1, 'a')", Ct);
        await _s.WaitCaughtUpAsync("db1", "db2");
        var cluster = await _s.ClusterAsync();
        var ops = new ReplicationOperations(_s.Control, new ReadOnlyFencing(_s.Control), _s.Routing, _s.Db.Time,
            new ReplicationOptions { CatchUpTimeout = TimeSpan.FromSeconds(1) });
        // Both replication threads keep running (so the pre-checks pass), but a table lock on the candidate keeps it
        // from applying the next row: it cannot catch up.
        await using var blocker = await _s.Nodes["db2"].OpenAsync(Ct);
        await using (var lockCmd = new MySqlConnector.MySqlCommand("SET SESSION lock_wait_timeout = 60; LOCK TABLES app.w WRITE", blocker))
            await lockCmd.ExecuteNonQueryAsync(Ct);
        await _s.Nodes["db1"].ExecuteAsync("INSERT INTO app.w VALUES (2, 'b')", Ct);

        var result = await ops.SwitchoverAsync(cluster, "db2", ClusterSetup.Operator, Ct);

        Assert.False(result.Succeeded);
        Assert.True(result.RolledBack);
        Assert.Contains("did not apply", result.Summary);
        Assert.Contains(result.Timeline, t => t.Step == "rollback: old primary writable" && t.Ok);
        await using (var unlock = new MySqlConnector.MySqlCommand("UNLOCK TABLES", blocker)) await unlock.ExecuteNonQueryAsync(Ct);
        await _s.Nodes["db1"].ExecuteAsync("INSERT INTO app.w VALUES (3, 'c')", Ct); // writable again
        await _s.WaitCaughtUpAsync("db1", "db2", "db3");
        Assert.Equal([1L, 2, 3], await _s.RowsAsync("db2", "app.w"));
    }

    [Fact]
    public async Task Switchover_ByViewer_IsForbidden()
    {
        var viewer = new Actor("victor", new HashSet<string> { Roles.Viewer });
        var cluster = await _s.ClusterAsync();
        await Assert.ThrowsAsync<ForbiddenException>(() => _s.Operations.SwitchoverAsync(cluster, "db2", viewer, Ct));
        Assert.Equal(["db1"], (await _s.Operations.StatusAsync(cluster, Ct)).Writers.Select(w => w.Name));
    }
}
