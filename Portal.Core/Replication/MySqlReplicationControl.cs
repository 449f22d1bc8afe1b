using System.Data.Common;
using HaPortal.Core.Topology;
using MySqlConnector;

namespace HaPortal.Core.Replication;

/// <summary><see cref="IReplicationControl"/> over MySqlConnector, for MariaDB (default) or MySQL 8 syntax.</summary>
public sealed class MySqlReplicationControl(ReplicationCredentials credentials, DatabaseFlavor flavor = DatabaseFlavor.MariaDb) : IReplicationControl
{
    private readonly ReplicationDialect _sql = ReplicationDialect.For(flavor);

    /// <summary>How long to wait for a TCP connection before calling a node unreachable.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public async Task<NodeStatus> GetStatusAsync(DbEndpoint node, CancellationToken ct)
    {
        try
        {
            await using var c = await OpenAsync(node, ct).ConfigureAwait(false);
            NodeStatus status;
            await using (var cmd = new MySqlCommand(_sql.Variables, c))
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                await r.ReadAsync(ct).ConfigureAwait(false);
                status = new NodeStatus(node.Name, node, true, null)
                {
                    ServerId = Convert.ToInt64(r.GetValue(0)),
                    ReadOnly = Convert.ToInt64(r.GetValue(1)) != 0,
                    Version = r.GetString(2),
                    CurrentPos = Text(r, 3), BinlogPos = Text(r, 4), SlavePos = Text(r, 5), BinlogState = Text(r, 6),
                };
            }
            await using (var cmd = new MySqlCommand(_sql.ReplicaStatus, c))
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                if (await r.ReadAsync(ct).ConfigureAwait(false))
                    status = status with { Replica = ReadReplica(r) };
            }
            return status;
        }
        catch (MySqlException e)
        {
            return NodeStatus.Unreachable(node, e.Message);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or TimeoutException)
        {
            return NodeStatus.Unreachable(node, e.Message);
        }
    }

    private ReplicaStatus ReadReplica(DbDataReader r)
    {
        string S(string col) => r[_sql.Col(col)] is var v && v is DBNull or null ? "" : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)!;
        long? L(string col) => long.TryParse(S(col), out var n) ? n : null;
        return new ReplicaStatus(S("Master_Host"), (int)(L("Master_Port") ?? 0), L("Master_Server_Id") ?? 0,
            S("Slave_IO_Running"), S("Slave_SQL_Running"), L("Seconds_Behind_Master"),
            S("Last_IO_Error"), S("Last_SQL_Error"), S("Gtid_IO_Pos"), S("Using_Gtid"));
    }

    public Task SetReadOnlyAsync(DbEndpoint node, bool readOnly, CancellationToken ct) =>
        ExecuteAsync(node, ct, _sql.ReadOnly(readOnly));

    public async Task<int> KillClientConnectionsAsync(DbEndpoint node, CancellationToken ct)
    {
        const string list = """
            SELECT ID FROM information_schema.PROCESSLIST
            WHERE ID <> CONNECTION_ID()
              AND USER NOT IN ('system user', 'event_scheduler')
              AND COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker')
            """;
        await using var c = await OpenAsync(node, ct).ConfigureAwait(false);
        var ids = new List<long>();
        await using (var cmd = new MySqlCommand(list, c))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            while (await r.ReadAsync(ct).ConfigureAwait(false)) ids.Add(Convert.ToInt64(r.GetValue(0)));
        var killed = 0;
        foreach (var id in ids)
        {
            try
            {
                await using var kill = new MySqlCommand($"KILL CONNECTION {id}", c);
                await kill.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                killed++;
            }
            catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.NoSuchThread)
            {
                // it ended on its own between the listing and the kill
            }
        }
        return killed;
    }

    public async Task<bool> WaitForPositionAsync(DbEndpoint node, string position, TimeSpan timeout, CancellationToken ct)
    {
        await using var c = await OpenAsync(node, ct).ConfigureAwait(false);
        await using var cmd = new MySqlCommand(_sql.WaitForPosition, c) { CommandTimeout = (int)Math.Ceiling(timeout.TotalSeconds) + 10 };
        cmd.Parameters.AddWithValue("@pos", position);
        cmd.Parameters.AddWithValue("@timeout", timeout.TotalSeconds);
        try
        {
            var result = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false));
            return result == 0;
        }
        catch (MySqlException e)
        {
            throw new ReplicationCommandException(node.Name, _sql.WaitForPosition, e);
        }
    }

    public Task PromoteAsync(DbEndpoint node, CancellationToken ct) =>
        ExecuteAsync(node, ct, [_sql.StopReplica, _sql.ResetReplicaAll, .. Maybe(_sql.SemiSyncAsPrimary), _sql.ReadOnly(false)]);

    private static string[] Maybe(string? statement) => statement is null ? [] : [statement];

    public Task ReplicateFromAsync(DbEndpoint node, DbEndpoint source, CancellationToken ct)
    {
        List<string> statements = [_sql.ReadOnly(true), .. Maybe(_sql.SemiSyncAsReplica), _sql.StopReplica, _sql.ResetReplicaAll];
        if (_sql.AlignSlavePos is { } align) statements.Add(align);
        statements.Add(_sql.ChangeSource(source, credentials));
        statements.Add(_sql.StartReplica);
        return ExecuteAsync(node, ct, [.. statements]);
    }

    public Task StartReplicationAsync(DbEndpoint node, CancellationToken ct) => ExecuteAsync(node, ct, _sql.StartReplica);
    public Task StopReplicationAsync(DbEndpoint node, CancellationToken ct) => ExecuteAsync(node, ct, _sql.StopReplica);

    private async Task ExecuteAsync(DbEndpoint node, CancellationToken ct, params string[] statements)
    {
        MySqlConnection c;
        try { c = await OpenAsync(node, ct).ConfigureAwait(false); }
        catch (Exception e) when (e is MySqlException or System.Net.Sockets.SocketException or IOException or TimeoutException)
        {
            throw new ReplicationCommandException(node.Name, "connect", e);
        }
        await using (c)
        {
            foreach (var statement in statements)
            {
                try
                {
                    await using var cmd = new MySqlCommand(statement, c);
                    await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                catch (MySqlException e)
                {
                    throw new ReplicationCommandException(node.Name, Redact(statement), e);
                }
            }
        }
    }

    private static string Redact(string statement) =>
        System.Text.RegularExpressions.Regex.Replace(statement, "(PASSWORD=)'[^']*'", "$1'***'");

    private async Task<MySqlConnection> OpenAsync(DbEndpoint node, CancellationToken ct)
    {
        var cs = new MySqlConnectionStringBuilder
        {
            Server = node.Host, Port = (uint)node.Port,
            UserID = credentials.AdminUser, Password = credentials.AdminPassword,
            Pooling = false, ConnectionTimeout = (uint)Math.Max(1, ConnectTimeout.TotalSeconds),
            DefaultCommandTimeout = 30, AllowUserVariables = true, AllowPublicKeyRetrieval = true,
        };
        var c = new MySqlConnection(cs.ConnectionString);
        try
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            return c;
        }
        catch
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string Text(DbDataReader r, int i) => r.IsDBNull(i) ? "" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!;
}
