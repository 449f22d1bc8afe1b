using System.Text;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Rendering;

/// <summary>Renders my.cnf for each database node: binlog + GTID replication, durable InnoDB, optional semi-sync.</summary>
public static class MyCnfRenderer
{
    /// <summary>Milliseconds the primary waits for a semi-sync acknowledgement before falling back to async.</summary>
    public const int SemiSyncTimeoutMs = 10000;

    /// <summary>
    /// server_id of every database node, derived from its name alone (<see cref="ServerId"/>): a switchover or
    /// failover changes roles, never a node's file, so no database is recreated for it.
    /// </summary>
    public static IReadOnlyDictionary<string, int> ServerIds(DatabaseSpec db)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        if (db.Primary is { } primary) ids[primary.Name] = ServerId(primary.Name);
        foreach (var replica in db.Replicas) ids[replica.Name] = ServerId(replica.Name);
        return ids;
    }

    /// <summary>
    /// A server_id (1 … 2^31−1) from the node name with FNV-1a: the same on every render and machine, and distinct
    /// for distinct names but for a one-in-two-billion clash, which <see cref="ServerIdClashes"/> reports.
    /// </summary>
    public static int ServerId(string nodeName)
    {
        var hash = 2166136261u;
        foreach (var octet in Encoding.UTF8.GetBytes(nodeName))
        {
            hash ^= octet;
            hash *= 16777619u;
        }
        return (int)(hash % int.MaxValue) + 1;
    }

    /// <summary>Pairs of database nodes whose names give the same server_id (replication would break): one line each.</summary>
    public static IEnumerable<string> ServerIdClashes(DatabaseSpec db) =>
        ((IEnumerable<DbNodeSpec>)(db.Primary is { } p ? [p] : [])).Concat(db.Replicas)
            .GroupBy(n => ServerId(n.Name))
            .Where(g => g.Count() > 1)
            .Select(g => $"database nodes {string.Join(", ", g.Select(n => $"'{n.Name}'"))} get the same server_id {g.Key}; rename one of them.");

    /// <summary>my.cnf of one node; <paramref name="nodeName"/> must be the primary or a replica of the spec.</summary>
    public static string Render(TopologySpec spec, string nodeName)
    {
        var db = spec.Database;
        if (!ServerIds(db).TryGetValue(nodeName, out var serverId))
            throw new ArgumentException($"'{nodeName}' is not a database node of topology '{spec.Name}'.", nameof(nodeName));
        var mysql = db.Flavor == DatabaseFlavor.MySql;
        var b = new StringBuilder();
        // No role in here: the file must stay the same when a switchover or failover changes the node's role.
        b.AppendLine($"# my.cnf for database node {nodeName} of topology '{spec.Name}', rendered by HaPortal.");
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
        // Every node boots read-only, whatever its role: ProxySQL's read_only monitor puts only the node with
        // read_only=OFF in the writer hostgroup, and a restarted old primary must not take writes beside a promoted
        // replica. The deploy's primary bootstrap (and a switchover or failover) turns it OFF on the one writer.
        b.AppendLine("read_only = ON");
        // A replica gives up on a silent primary after this many seconds (default 60; the heartbeat is half of it): its
        // IO thread then stops showing Yes, which is what lets the failover monitor confirm a frozen primary quickly.
        b.AppendLine(mysql ? "replica_net_timeout = 5" : "slave_net_timeout = 5");
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
                // A primary that crashes holds, in its binlog, the transactions that waited for an acknowledgement and
                // were never acknowledged to a client. Every node starts as a replica, so crash recovery truncates
                // them (semi-sync slave recovery) and the node can rejoin the new primary instead of needing a rebuild.
                b.AppendLine("init_rpl_role = SLAVE");
            }
        }
        b.AppendLine();
        b.AppendLine("# Durability: a committed transaction survives a crash, and the binlog agrees with InnoDB.");
        b.AppendLine("innodb_flush_log_at_trx_commit = 1");
        b.AppendLine("sync_binlog = 1");
        return b.ToString();
    }
}
