using HaPortal.Tests.Infrastructure;
using HaPortal.Core.Replication;

namespace HaPortal.Tests.Replication;

/// <summary>The MariaDB adapter against a real primary and two replicas.</summary>
public sealed class ReplicationControlTests : IAsyncLifetime
{
    private MariaDbCluster _cluster = null!;
    private readonly MySqlReplicationControl _control = new(MariaDbCluster.Credentials);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cluster = await MariaDbCluster.StartAsync(3, ct: Ct);
    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Status_PrimaryAndReplicas_ShowRolesPositionsAndThreads()
    {
        await _cluster["db1"].ExecuteAsync("CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1)", Ct);
        var pos = (string)(await _cluster["db1"].ScalarAsync("SELECT @@gtid_binlog_pos", Ct))!;
        await _cluster["db2"].WaitForGtidAsync(pos, Ct);

        var primary = await _control.GetStatusAsync(_cluster["db1"].Endpoint, Ct);
        var replica = await _control.GetStatusAsync(_cluster["db2"].Endpoint, Ct);

        Assert.Equal((ObservedRole.Primary, false, 1L), (primary.Role, primary.ReadOnly, primary.ServerId));
        Assert.Equal("0-1-2", primary.BinlogPos);
        Assert.Equal((ObservedRole.Replica, true), (replica.Role, replica.ReadOnly));
        Assert.Equal("0-1-2", replica.CurrentPos);
        Assert.Equal(("Yes", "Yes", _cluster["db1"].Port, 0L), (replica.Replica!.IoRunning, replica.Replica.SqlRunning, replica.Replica.SourcePort, replica.Replica.SecondsBehind));
    }

    [Fact]
    public async Task Status_KilledNode_IsUnreachableWithTheReason_AndReplicasLoseTheirIoThread()
    {
        _cluster["db1"].Kill();

        var primary = await _control.GetStatusAsync(_cluster["db1"].Endpoint, Ct);
        Assert.Equal(ObservedRole.Unreachable, primary.Role);
        Assert.False(string.IsNullOrEmpty(primary.Error));

        var replica = await ReplicaUntil(_cluster["db2"].Endpoint, s => !s.Replica!.IoOk);
        Assert.NotEqual("Yes", replica.Replica!.IoRunning);
    }

    [Fact]
    public async Task PromoteAndReplicateFrom_MoveThePrimary()
    {
        await _cluster["db1"].ExecuteAsync("CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1)", Ct);
        var pos = (string)(await _cluster["db1"].ScalarAsync("SELECT @@gtid_binlog_pos", Ct))!;
        await _control.SetReadOnlyAsync(_cluster["db1"].Endpoint, true, Ct);
        Assert.True(await _control.WaitForPositionAsync(_cluster["db2"].Endpoint, pos, TimeSpan.FromSeconds(10), Ct));

        await _control.PromoteAsync(_cluster["db2"].Endpoint, Ct);
        await _control.ReplicateFromAsync(_cluster["db1"].Endpoint, _cluster["db2"].Endpoint, Ct);
        await _control.ReplicateFromAsync(_cluster["db3"].Endpoint, _cluster["db2"].Endpoint, Ct);
        await _cluster["db2"].ExecuteAsync("INSERT INTO app.t VALUES (2)", Ct);
        var newPos = (string)(await _cluster["db2"].ScalarAsync("SELECT @@gtid_binlog_pos", Ct))!;
        await _cluster["db1"].WaitForGtidAsync(newPos, Ct);
        await _cluster["db3"].WaitForGtidAsync(newPos, Ct);

        Assert.Equal(2L, Convert.ToInt64(await _cluster["db1"].ScalarAsync("SELECT COUNT(*) FROM app.t", Ct)));
        var db1 = await _control.GetStatusAsync(_cluster["db1"].Endpoint, Ct);
        Assert.Equal((ObservedRole.Replica, _cluster["db2"].Port, true), (db1.Role, db1.Replica!.SourcePort, db1.Replica.Replicating));
        Assert.Equal(ObservedRole.Primary, (await _control.GetStatusAsync(_cluster["db2"].Endpoint, Ct)).Role);
    }

    private async Task<NodeStatus> ReplicaUntil(DbEndpoint node, Func<NodeStatus, bool> condition)
    {
        for (var i = 0; ; i++)
        {
            var s = await _control.GetStatusAsync(node, Ct);
            if (condition(s) || i > 200) return s;
            await Task.Delay(50, Ct);
        }
    }
}
