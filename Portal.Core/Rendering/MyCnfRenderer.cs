using System.Text;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Rendering;

/// <summary>Renders my.cnf for each database node: binlog + GTID replication, durable InnoDB, optional semi-sync.</summary>
public static class MyCnfRenderer
{
    /// <summary>Milliseconds the primary waits for a semi-sync acknowledgement before falling back to async.</summary>
    public const int SemiSyncTimeoutMs = 10000;

    /// <summary>server_id of every database node: the primary 1, replicas 2..n in the order of the topology.</summary>
    public static IReadOnlyDictionary<string, int> ServerIds(DatabaseSpec db)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        if (db.Primary is { } primary) ids[primary.Name] = 1;
        for (var i = 0; i < db.Replicas.Length; i++) ids[db.Replicas[i].Name] = i + 2;
        return ids;
    }

    /// <summary>my.cnf of one node; <paramref name="nodeName"/> must be the primary or a replica of the spec.</summary>
    public static string Render(TopologySpec spec, string nodeName)
    {
        var db = spec.Database;
        if (!ServerIds(db).TryGetValue(nodeName, out var serverId))
            throw new ArgumentException($"'{nodeName}' is not a database node of topology '{spec.Name}'.", nameof(nodeName));
        var isPrimary = db.Primary?.Name == nodeName;
        var mysql = db.Flavor == DatabaseFlavor.MySql;
        var b = new StringBuilder();
        b.AppendLine($"# my.cnf for {nodeName} ({(isPrimary ? "primary" : "replica")}) of topology '{spec.Name}', rendered by HaPortal.");
        b.AppendLine($"# Flavor {(mysql ? "MySQL" : "MariaDB")} {db.Version}.");
        b.AppendLine("[mysqld]");
        b.AppendLine($"server_id = {serverId}");
        b.AppendLine($"report_host = {nodeName}");
        b.AppendLine("bind_address = 0.0.0.0");
        b.AppendLine($"port = {StackPorts.Database}");
        // Grants name hosts by address or '%'; reverse DNS of container addresses is slow and meaningless.
        b.AppendLine("skip_name_resolve = ON");
        b.AppendLine("character_set_server = utf8mb4");
        b.AppendLine();
        b.AppendLine("# Replication: every node writes a binlog, so any replica can be promoted.");
        // Fixed basenames, not the hostname default, so a renamed container still finds its logs.
        b.AppendLine("log_bin = mysql-bin");
        b.AppendLine("binlog_format = ROW");
        b.AppendLine("relay_log = relay-bin");
        if (mysql)
        {
            // MySQL 8.0.26+ names.
            b.AppendLine("log_replica_updates = ON");
            b.AppendLine("gtid_mode = ON");
            b.AppendLine("enforce_gtid_consistency = ON");
            b.AppendLine("relay_log_recovery = ON");
        }
        else
        {
            b.AppendLine("log_slave_updates = ON");
            b.AppendLine("gtid_strict_mode = ON");
            b.AppendLine("relay_log_recovery = ON");
        }
        // ProxySQL's read_only monitor puts the node with read_only=OFF in the writer hostgroup. The file follows
        // the spec's roles, so after a switchover or failover the portal re-renders it before the old primary restarts.
        b.AppendLine($"read_only = {(isPrimary ? "OFF" : "ON")}");
        if (db.SemiSync)
        {
            b.AppendLine();
            b.AppendLine("# Semi-sync: both sides enabled on every node, so a promoted replica acts as primary at once.");
            if (mysql)
            {
                b.AppendLine("plugin_load_add = semisync_source.so");
                b.AppendLine("plugin_load_add = semisync_replica.so");
                b.AppendLine("rpl_semi_sync_source_enabled = ON");
                b.AppendLine("rpl_semi_sync_replica_enabled = ON");
                b.AppendLine($"rpl_semi_sync_source_timeout = {SemiSyncTimeoutMs}");
                b.AppendLine("rpl_semi_sync_source_wait_point = AFTER_SYNC");
            }
            else
            {
                // Built into MariaDB since 10.3: no plugin to load.
                b.AppendLine("rpl_semi_sync_master_enabled = ON");
                b.AppendLine("rpl_semi_sync_slave_enabled = ON");
                b.AppendLine($"rpl_semi_sync_master_timeout = {SemiSyncTimeoutMs}");
                b.AppendLine("rpl_semi_sync_master_wait_point = AFTER_SYNC");
            }
        }
        b.AppendLine();
        b.AppendLine("# Durability: a committed transaction survives a crash, and the binlog agrees with InnoDB.");
        b.AppendLine("innodb_flush_log_at_trx_commit = 1");
        b.AppendLine("sync_binlog = 1");
        return b.ToString();
    }
}
