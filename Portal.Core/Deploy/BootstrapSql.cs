using HaPortal.Core.Topology;

namespace HaPortal.Core.Deploy;

/// <summary>
/// The SQL that bootstraps a stack's databases: users and schema on the primary, GTID replication on a
/// replica. One text for every target: the Docker deploy runs it through exec (<see cref="NodeReadiness"/>),
/// compose and Swarm hand it to the database image as an init file that its entrypoint runs on the first
/// start. Passwords never appear: <paramref name="secret"/> turns a variable name into whatever the
/// target expands inside the container (a heredoc placeholder, <c>${VAR}</c> for init files).
/// </summary>
public static class BootstrapSql
{
    public const string ReplicationUser = "repl";
    public const string MonitorUser = "monitor";

    /// <summary>
    /// The portal's administrative login (replication status, read_only, CHANGE MASTER, killing client connections for a
    /// switchover). Not the application's: read_only must still stop the application.
    /// </summary>
    public const string AdminUser = "haportal_admin";

    /// <summary>Where the database image's entrypoint looks for init files (compose/images/mariadb/entrypoint.sh).</summary>
    public const string InitDirectory = "/etc/haportal/init.d";

    /// <summary>The init-file form of a secret: the entrypoint expands <c>${HAPORTAL_*_PASSWORD}</c> from the environment.</summary>
    public static string InitFileVariable(string variable) => "${" + variable + "}";

    public static string Primary(TopologySpec spec, Func<string, string> secret)
    {
        var db = spec.Database;
        return $"""
            SET SESSION sql_log_bin = 0;
            DELETE FROM mysql.global_priv WHERE User = '';
            FLUSH PRIVILEGES;
            SET SESSION sql_log_bin = 1;
            CREATE USER IF NOT EXISTS '{ReplicationUser}'@'%' IDENTIFIED BY '{secret(StackSecrets.ReplicationVariable)}';
            ALTER USER '{ReplicationUser}'@'%' IDENTIFIED BY '{secret(StackSecrets.ReplicationVariable)}';
            GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '{ReplicationUser}'@'%';
            CREATE USER IF NOT EXISTS '{MonitorUser}'@'%' IDENTIFIED BY '{secret(StackSecrets.MonitorVariable)}';
            ALTER USER '{MonitorUser}'@'%' IDENTIFIED BY '{secret(StackSecrets.MonitorVariable)}';
            GRANT REPLICATION CLIENT ON *.* TO '{MonitorUser}'@'%';
            CREATE USER IF NOT EXISTS '{AdminUser}'@'%' IDENTIFIED BY '{secret(StackSecrets.AdminVariable)}';
            ALTER USER '{AdminUser}'@'%' IDENTIFIED BY '{secret(StackSecrets.AdminVariable)}';
            GRANT ALL PRIVILEGES ON *.* TO '{AdminUser}'@'%';
            CREATE DATABASE IF NOT EXISTS `{db.AppSchema}`;
            CREATE USER IF NOT EXISTS '{db.AppUser}'@'%' IDENTIFIED BY '{secret(StackSecrets.AppVariable)}';
            ALTER USER '{db.AppUser}'@'%' IDENTIFIED BY '{secret(StackSecrets.AppVariable)}';
            GRANT ALL PRIVILEGES ON `{db.AppSchema}`.* TO '{db.AppUser}'@'%';
            """;
    }

    // Local changes stay out of the binlog: the replica's history must be exactly the primary's (gtid-strict-mode).
    public static string Replica(TopologySpec spec, Func<string, string> secret) => $"""
        SET SESSION sql_log_bin = 0;
        DELETE FROM mysql.global_priv WHERE User = '';
        FLUSH PRIVILEGES;
        STOP SLAVE;
        CHANGE MASTER TO MASTER_HOST = '{spec.Database.Primary!.Name}', MASTER_PORT = 3306, MASTER_USER = '{ReplicationUser}',
            MASTER_PASSWORD = '{secret(StackSecrets.ReplicationVariable)}', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 2;
        SET GLOBAL read_only = ON;{(spec.Database.SemiSync ? "\n" + SemiSyncOffOnReplica : "")}
        START SLAVE;
        """;

    // my.cnf enables both semi-sync sides on every node (any may be promoted); a replica's master side must be off, or
    // with log_slave_updates every transaction it applies waits for acknowledgements nobody sends (see Replication/README).
    private const string SemiSyncOffOnReplica = "SET GLOBAL rpl_semi_sync_master_enabled = OFF;";
}
