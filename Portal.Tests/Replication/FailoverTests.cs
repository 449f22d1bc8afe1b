using HaPortal.Core.Replication;

namespace HaPortal.Tests.Replication;

public sealed class FailoverTests : IAsyncLifetime
{
    private ClusterSetup _s = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        // db3 is preferred, so choosing db2 below can only come from db2 being more advanced.
        _s = await ClusterSetup.StartAsync(new() { ["db3"] = 10 });
        await _s.Nodes["db1"].ExecuteAsync("CREATE TABLE app.t (id BIGINT PRIMARY KEY); INSERT INTO app.t VALUES (1), (2)", Ct);
        await _s.WaitCaughtUpAsync("db1", "db2", "db3");
    }

    public ValueTask DisposeAsync() => _s.DisposeAsync();

    [Fact]
    public async Task Failover_AfterKill_PicksMostAdvancedReplica_AndTheOtherFollowsIt()
    {
        await _s.Nodes["db3"].ExecuteAsync("STOP SLAVE", Ct);          // db3 falls behind
        await _s.Nodes["db1"].ExecuteAsync("INSERT INTO app.t VALUES (3), (4)", Ct);
        await _s.WaitCaughtUpAsync("db1", "db2");
        _s.Nodes["db1"].Kill();

        var result = await _s.Operations.FailoverAsync(await _s.ClusterAsync(), ClusterSetup.Operator, Ct);

        Assert.True(result.Succeeded, result.Summary);
        Assert.Equal("db2", result.NewPrimary);
        Assert.Contains(result.Candidates, c => c.Name == "db3" && c.Reasons.Single().StartsWith("less advanced: 1 transactions behind db2", StringComparison.Ordinal));
        Assert.Contains(result.Timeline, t => t.Step == "fenced" && t.Ok && t.Detail.Contains("is not running"));
        Assert.Equal("db2", (await _s.ClusterAsync()).ExpectedPrimary);
        Assert.Equal("db2", _s.Routing.WriterOf(ClusterSetup.Topology)!.Name);

        await _s.Nodes["db2"].ExecuteAsync("INSERT INTO app.t VALUES (5)", Ct);
        await _s.WaitCaughtUpAsync("db2", "db3");
        Assert.Equal([1L, 2, 3, 4, 5], await _s.RowsAsync("db3"));
        var db3 = await _s.Control.GetStatusAsync(_s.Nodes["db3"].Endpoint, Ct);
        Assert.Equal((ObservedRole.Replica, _s.Nodes["db2"].Port, true), (db3.Role, db3.Replica!.SourcePort, db3.ReadOnly));
    }

    [Fact]
    public async Task Failover_CandidateWithErrantTransaction_IsRefusedWithThatReason()
    {
        // db2 is preferred but wrote on its own; db3 must win, and db2 cannot follow it.
        var cluster = (await _s.ClusterAsync()) with { Nodes = [.. (await _s.ClusterAsync()).Nodes.Select(n => n.Name == "db2" ? n with { Priority = 50 } : n)] };
        await _s.Nodes["db2"].ExecuteAsync("INSERT INTO app.t VALUES (1000)", Ct);
        _s.Nodes["db1"].Kill();

        var result = await _s.Operations.FailoverAsync(cluster, ClusterSetup.Operator, Ct);

        Assert.True(result.Succeeded, result.Summary);
        Assert.Equal("db3", result.NewPrimary);
        var db2 = Assert.Single(result.Candidates, c => c.Name == "db2");
        Assert.False(db2.Eligible);
        Assert.Contains("errant transactions: 0-2-", db2.Reasons.Single());
        Assert.Contains(result.NeedRebuild, r => r.StartsWith("db2: has 0-2-", StringComparison.Ordinal));
        var db2Now = await _s.Control.GetStatusAsync(_s.Nodes["db2"].Endpoint, Ct);
        Assert.True(db2Now.ReadOnly);
        Assert.NotEqual(_s.Nodes["db3"].Port, db2Now.Replica?.SourcePort);
    }

    [Fact]
    public async Task Failover_PrimaryStillWritable_IsRefused()
    {
        var result = await _s.Operations.FailoverAsync(await _s.ClusterAsync(), ClusterSetup.Operator, Ct);

        Assert.False(result.Succeeded);
        Assert.Contains("db1 is reachable and accepts writes", result.Summary);
    }

    [Fact]
    public async Task Failover_FencingNotConfirmed_IsRefused()
    {
        var ops = new ReplicationOperations(_s.Control, new ReadOnlyFencing(_s.Control), _s.Routing, _s.Db.Time);
        _s.Nodes["db1"].Kill();

        var result = await ops.FailoverAsync(await _s.ClusterAsync(), ClusterSetup.Operator, Ct);

        Assert.False(result.Succeeded);
        Assert.Contains("fencing of db1 not confirmed", result.Summary);
        Assert.Equal(ObservedRole.Replica, (await _s.Control.GetStatusAsync(_s.Nodes["db2"].Endpoint, Ct)).Role);
    }

    [Fact]
    public async Task Rejoin_OldPrimaryWithoutErrantGtids_ComesBackReadOnlyReplica()
    {
        _s.Nodes["db1"].Kill();
        var failover = await _s.Operations.FailoverAsync(await _s.ClusterAsync(), ClusterSetup.Operator, Ct);
        Assert.True(failover.Succeeded, failover.Summary);
        var newPrimary = failover.NewPrimary!;
        await _s.Nodes["db1"].StartAsync(Ct);

        var rejoin = await _s.Operations.RejoinAsync(await _s.ClusterAsync(), "db1", ClusterSetup.Operator, Ct);

        Assert.True(rejoin.Succeeded, rejoin.Summary);
        await _s.Nodes[newPrimary].ExecuteAsync("INSERT INTO app.t VALUES (7)", Ct);
        await _s.WaitCaughtUpAsync(newPrimary, "db1");
        Assert.Equal([1L, 2, 7], await _s.RowsAsync("db1"));
        var db1 = await _s.Control.GetStatusAsync(_s.Nodes["db1"].Endpoint, Ct);
        Assert.Equal((ObservedRole.Replica, true, _s.Nodes[newPrimary].Port), (db1.Role, db1.ReadOnly, db1.Replica!.SourcePort));
    }

    [Fact]
    public async Task Rejoin_OldPrimaryWithErrantGtids_IsKeptOutForRebuild_WithTheReason()
    {
        // The primary commits a transaction no replica received, then dies: it has history the new primary lacks.
        await _s.Nodes["db2"].ExecuteAsync("STOP SLAVE", Ct);
        await _s.Nodes["db3"].ExecuteAsync("STOP SLAVE", Ct);
        await _s.Nodes["db1"].ExecuteAsync("INSERT INTO app.t VALUES (99)", Ct);
        _s.Nodes["db1"].Kill();
        var failover = await _s.Operations.FailoverAsync(await _s.ClusterAsync(), ClusterSetup.Operator, Ct);
        Assert.True(failover.Succeeded, failover.Summary);
        await _s.Nodes["db1"].StartAsync(Ct);

        var rejoin = await _s.Operations.RejoinAsync(await _s.ClusterAsync(), "db1", ClusterSetup.Operator, Ct);

        Assert.False(rejoin.Succeeded);
        Assert.Contains("db1 kept out and needs a rebuild", rejoin.Summary);
        Assert.Contains("(0-1-3)", rejoin.Summary);
        var db1 = await _s.Control.GetStatusAsync(_s.Nodes["db1"].Endpoint, Ct);
        Assert.True(db1.ReadOnly);
        Assert.Null(db1.Replica);
        Assert.Single(await _s.Db.Audit.QueryAsync(new HaPortal.Core.Audit.AuditQuery(Action: "replication.rejoin.refused"), Ct));
    }
}
