using HaPortal.Core.Topology;

namespace HaPortal.Core.Replication;

/// <summary>
/// Reads and changes replication on one database node at a time. A singleton; each call opens its own connection
/// (no pooling, so a killed server never hands back a dead pooled connection) and honours its cancellation token.
/// Expected failures of reading (server down) come back as an unreachable <see cref="NodeStatus"/>; failures of
/// changing throw <see cref="ReplicationCommandException"/> naming the node and the statement.
/// </summary>
public interface IReplicationControl
{
    Task<NodeStatus> GetStatusAsync(DbEndpoint node, CancellationToken ct);

    /// <summary>Sets read_only (and on MySQL super_read_only, so administrative users cannot write either).</summary>
    Task SetReadOnlyAsync(DbEndpoint node, bool readOnly, CancellationToken ct);

    /// <summary>Kills every client connection except replication and system threads and the caller's; returns how many.</summary>
    Task<int> KillClientConnectionsAsync(DbEndpoint node, CancellationToken ct);

    /// <summary>Waits until the node has applied <paramref name="position"/>; false on timeout.</summary>
    Task<bool> WaitForPositionAsync(DbEndpoint node, string position, TimeSpan timeout, CancellationToken ct);

    /// <summary>Makes the node a writable primary: stops and forgets replication, read_only off.</summary>
    Task PromoteAsync(DbEndpoint node, CancellationToken ct);

    /// <summary>
    /// Makes the node a read-only replica of <paramref name="source"/>, continuing from everything its own binlog holds
    /// (GTID auto-positioning), and starts replication.
    /// </summary>
    Task ReplicateFromAsync(DbEndpoint node, DbEndpoint source, CancellationToken ct);

    Task StartReplicationAsync(DbEndpoint node, CancellationToken ct);
    Task StopReplicationAsync(DbEndpoint node, CancellationToken ct);
}

public sealed class ReplicationCommandException(string node, string statement, Exception inner)
    : Exception($"{node}: '{statement}' failed: {inner.Message}", inner)
{
    public string Node { get; } = node;
}

/// <summary>The statements that differ between MariaDB and MySQL 8.</summary>
public sealed record ReplicationDialect(DatabaseFlavor Flavor)
{
    public static readonly ReplicationDialect MariaDb = new(DatabaseFlavor.MariaDb);
    public static readonly ReplicationDialect MySql = new(DatabaseFlavor.MySql);
    public static ReplicationDialect For(DatabaseFlavor flavor) => flavor == DatabaseFlavor.MySql ? MySql : MariaDb;

    private bool My => Flavor == DatabaseFlavor.MySql;

    public string Variables => My
        ? "SELECT @@server_id, @@read_only, @@version, @@global.gtid_executed, @@global.gtid_executed, '', @@global.gtid_executed"
        : "SELECT @@server_id, @@read_only, @@version, @@global.gtid_current_pos, @@global.gtid_binlog_pos, @@global.gtid_slave_pos, @@global.gtid_binlog_state";
    public string ReplicaStatus => My ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS";
    public string StopReplica => My ? "STOP REPLICA" : "STOP SLAVE";
    public string StartReplica => My ? "START REPLICA" : "START SLAVE";
    public string ResetReplicaAll => My ? "RESET REPLICA ALL" : "RESET SLAVE ALL";
    public string ReadOnly(bool on) => My
        ? on ? "SET GLOBAL super_read_only = ON" : "SET GLOBAL super_read_only = OFF; SET GLOBAL read_only = OFF"
        : $"SET GLOBAL read_only = {(on ? "ON" : "OFF")}";
    public string WaitForPosition => My
        ? "SELECT WAIT_FOR_EXECUTED_GTID_SET(@pos, @timeout)"   // 0 = reached, 1 = timeout
        : "SELECT MASTER_GTID_WAIT(@pos, @timeout)";           // 0 = reached, -1 = timeout

    /// <summary>
    /// Semi-sync follows the role: a promoted node configured for semi-sync (its replica side enabled) waits for a
    /// replica's acknowledgement; a node that becomes a replica must not, or every transaction it applies would wait for
    /// acknowledgements nobody sends (with log_slave_updates) until the semi-sync timeout.
    /// </summary>
    public string? SemiSyncAsPrimary => My ? null : "SET GLOBAL rpl_semi_sync_master_enabled = @@global.rpl_semi_sync_slave_enabled";
    public string? SemiSyncAsReplica => My ? null : "SET GLOBAL rpl_semi_sync_master_enabled = OFF";

    /// <summary>Before pointing a node at a new source: make its replication start after everything in its own binlog.</summary>
    public string? AlignSlavePos => My ? null : "SET GLOBAL gtid_slave_pos = @@global.gtid_binlog_pos";

    public string ChangeSource(DbEndpoint source, ReplicationCredentials c) => My
        ? $"CHANGE REPLICATION SOURCE TO SOURCE_HOST={Q(source.SourceHost)}, SOURCE_PORT={source.SourcePort}, SOURCE_USER={Q(c.ReplicationUser)}, SOURCE_PASSWORD={Q(c.ReplicationPassword)}, SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=1, SOURCE_HEARTBEAT_PERIOD=1, GET_SOURCE_PUBLIC_KEY=1"
        : $"CHANGE MASTER TO MASTER_HOST={Q(source.SourceHost)}, MASTER_PORT={source.SourcePort}, MASTER_USER={Q(c.ReplicationUser)}, MASTER_PASSWORD={Q(c.ReplicationPassword)}, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1";

    public string Col(string mariaDb) => !My ? mariaDb : mariaDb switch
    {
        "Master_Host" => "Source_Host",
        "Master_Port" => "Source_Port",
        "Master_Server_Id" => "Source_Server_Id",
        "Slave_IO_Running" => "Replica_IO_Running",
        "Slave_SQL_Running" => "Replica_SQL_Running",
        "Seconds_Behind_Master" => "Seconds_Behind_Source",
        "Gtid_IO_Pos" => "Retrieved_Gtid_Set",
        "Using_Gtid" => "Auto_Position",
        _ => mariaDb,
    };

    /// <summary>SQL string literal; the values quoted here are host names and logins from the portal's own settings.</summary>
    private static string Q(string value) => "'" + value.Replace("\\", "\\\\").Replace("'", "''") + "'";
}
