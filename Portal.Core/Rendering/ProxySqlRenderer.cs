using System.Globalization;
using System.Text;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Rendering;

/// <summary>
/// Renders ProxySQL's configuration twice over: the bootstrap proxysql.cnf (read only when the data directory
/// has no proxysql.db yet) and the admin statements that put the same state into a running ProxySQL.
/// </summary>
public static class ProxySqlRenderer
{
    /// <summary>Weight of every backend in mysql_servers; equal weights, ProxySQL's usual 1000.</summary>
    public const int ServerWeight = TopologyValidator.ReplicaWeight;

    public static string RenderCnf(TopologySpec spec, StackSecrets secrets)
    {
        var router = RouterOf(spec);
        CheckAdminCredential(secrets);
        var hg = router.Hostgroups;
        var q = LibconfigText.Quote;
        var b = new StringBuilder();
        b.AppendLine($"# proxysql.cnf for topology '{spec.Name}', rendered by HaPortal.");
        b.AppendLine("# Read only on first start (no proxysql.db in datadir yet); afterwards the portal changes the admin tables.");
        b.AppendLine($"datadir={q("/var/lib/proxysql")}");
        b.AppendLine();
        b.AppendLine("admin_variables=");
        b.AppendLine("{");
        // The built-in admin user only logs in from localhost, so the portal gets its own admin user.
        b.AppendLine($"    admin_credentials={q($"{secrets.ProxySqlAdminUser}:{secrets.ProxySqlAdminPassword}")}");
        // Reachable on the stack's private network; the deployer never publishes 6032.
        b.AppendLine($"    mysql_ifaces={q($"0.0.0.0:{StackPorts.ProxySqlAdmin}")}");
        if (router.Nodes.Length > 1)
        {
            // Cluster peers sync their admin tables with these credentials, which must also be in admin_credentials.
            b.AppendLine($"    cluster_username={q(secrets.ProxySqlAdminUser)}");
            b.AppendLine($"    cluster_password={q(secrets.ProxySqlAdminPassword)}");
            b.AppendLine("    cluster_check_interval_ms=200");
            b.AppendLine("    cluster_mysql_query_rules_save_to_disk=true");
            b.AppendLine("    cluster_mysql_servers_save_to_disk=true");
            b.AppendLine("    cluster_mysql_users_save_to_disk=true");
            b.AppendLine("    cluster_proxysql_servers_save_to_disk=true");
        }
        b.AppendLine("}");
        b.AppendLine();
        b.AppendLine("mysql_variables=");
        b.AppendLine("{");
        b.AppendLine("    threads=2");
        b.AppendLine("    max_connections=2048");
        b.AppendLine($"    interfaces={q($"0.0.0.0:{StackPorts.ProxySqlMysql}")}");
        b.AppendLine($"    default_schema={q(spec.Database.AppSchema)}");
        b.AppendLine($"    server_version={q(ServerVersion(spec.Database))}");
        b.AppendLine($"    monitor_username={q(secrets.MonitorUser)}");
        b.AppendLine($"    monitor_password={q(secrets.MonitorPassword)}");
        b.AppendLine("    monitor_read_only_interval=1000");
        b.AppendLine("    monitor_read_only_timeout=800");
        b.AppendLine($"    monitor_writer_is_also_reader={(router.WriterIsAlsoReader ? "true" : "false")}");
        b.AppendLine("}");
        b.AppendLine();
        b.AppendLine("mysql_servers=");
        b.AppendLine("(");
        b.AppendJoin(",\n", Servers(spec).Select(s =>
            $"    {{ address={q(s.Host)}, port={StackPorts.Database}, hostgroup={s.Hostgroup}, weight={s.Weight}, comment={q(s.Comment)} }}"));
        b.AppendLine();
        b.AppendLine(")");
        b.AppendLine();
        // read_only decides membership: ProxySQL moves a promoted replica into the writer hostgroup by itself.
        b.AppendLine("mysql_replication_hostgroups=");
        b.AppendLine("(");
        b.AppendLine($"    {{ writer_hostgroup={hg.Writer}, reader_hostgroup={hg.Reader}, check_type={q("read_only")}, comment={q(spec.Name)} }}");
        b.AppendLine(")");
        b.AppendLine();
        b.AppendLine("mysql_users=");
        b.AppendLine("(");
        b.AppendLine($"    {{ username={q(spec.Database.AppUser)}, password={q(secrets.AppPassword)}, default_hostgroup={hg.Writer}, default_schema={q(spec.Database.AppSchema)}, transaction_persistent=1, active=1 }}");
        b.AppendLine(")");
        b.AppendLine();
        b.AppendLine("mysql_query_rules=");
        b.AppendLine("(");
        var rules = ReadYourWritesRule.EffectiveRules(spec);
        b.AppendJoin(",\n", rules.Select(r => "    { " + string.Join(", ", RuleFields(r, hg)) + " }"));
        if (rules.Length > 0) b.AppendLine();
        b.AppendLine(")");
        if (router.Nodes.Length > 1)
        {
            b.AppendLine();
            b.AppendLine("proxysql_servers=");
            b.AppendLine("(");
            b.AppendJoin(",\n", router.Nodes.Select(n =>
                $"    {{ hostname={q(n.Name)}, port={StackPorts.ProxySqlAdmin}, weight=0, comment={q(n.Name)} }}"));
            b.AppendLine();
            b.AppendLine(")");
        }
        return b.ToString();
    }

    /// <summary>
    /// Statements for the admin interface (port 6032) that replace the portal-owned tables with the spec's
    /// state, then load it to runtime and save it to disk. One statement per entry, no trailing semicolon.
    /// </summary>
    public static IReadOnlyList<string> RenderAdminSql(TopologySpec spec, StackSecrets secrets)
    {
        var router = RouterOf(spec);
        var hg = router.Hostgroups;
        var sql = new List<string>
        {
            SetVariable("mysql-monitor_username", secrets.MonitorUser),
            SetVariable("mysql-monitor_password", secrets.MonitorPassword),
            SetVariable("mysql-server_version", ServerVersion(spec.Database)),
            SetVariable("mysql-default_schema", spec.Database.AppSchema),
            SetVariable("mysql-monitor_writer_is_also_reader", router.WriterIsAlsoReader ? "true" : "false"),
            "LOAD MYSQL VARIABLES TO RUNTIME",
            "SAVE MYSQL VARIABLES TO DISK",
            "DELETE FROM mysql_servers",
        };
        var servers = Servers(spec).ToList();
        if (servers.Count > 0)
            sql.Add("INSERT INTO mysql_servers (hostgroup_id,hostname,port,weight,comment) VALUES "
                    + string.Join(",", servers.Select(s => $"({s.Hostgroup},{SqlText.Quote(s.Host)},{StackPorts.Database},{s.Weight},{SqlText.Quote(s.Comment)})")));
        sql.Add("DELETE FROM mysql_replication_hostgroups");
        sql.Add("INSERT INTO mysql_replication_hostgroups (writer_hostgroup,reader_hostgroup,check_type,comment) VALUES "
                + $"({hg.Writer},{hg.Reader},'read_only',{SqlText.Quote(spec.Name)})");
        sql.Add("LOAD MYSQL SERVERS TO RUNTIME");
        sql.Add("SAVE MYSQL SERVERS TO DISK");
        sql.Add("DELETE FROM mysql_users");
        sql.Add("INSERT INTO mysql_users (username,password,active,default_hostgroup,default_schema,transaction_persistent) VALUES "
                + $"({SqlText.Quote(spec.Database.AppUser)},{SqlText.Quote(secrets.AppPassword)},1,{hg.Writer},{SqlText.Quote(spec.Database.AppSchema)},1)");
        sql.Add("LOAD MYSQL USERS TO RUNTIME");
        sql.Add("SAVE MYSQL USERS TO DISK");
        sql.Add("DELETE FROM mysql_query_rules");
        var rules = ReadYourWritesRule.EffectiveRules(spec);
        if (rules.Length > 0)
            sql.Add("INSERT INTO mysql_query_rules (rule_id,active,username,schemaname,flagIN,match_digest,match_pattern,negate_match_pattern,flagOUT,destination_hostgroup,apply,comment) VALUES "
                    + string.Join(",", rules.Select(r => "(" + string.Join(",",
                        SqlText.Number(r.Id), SqlText.Bool(r.Active), SqlText.Quote(r.Username), SqlText.Quote(r.Schemaname),
                        SqlText.Number(r.FlagIn), SqlText.Quote(r.MatchDigest), SqlText.Quote(r.MatchPattern),
                        SqlText.Bool(r.NegateMatchPattern), SqlText.Number(r.FlagOut), SqlText.Number(r.ResolveDestination(hg)),
                        SqlText.Bool(r.Apply), SqlText.Quote(r.Comment)) + ")")));
        sql.Add("LOAD MYSQL QUERY RULES TO RUNTIME");
        sql.Add("SAVE MYSQL QUERY RULES TO DISK");
        // Emptied for a single node too, so shrinking a cluster to one node leaves no stale peers behind.
        sql.Add("DELETE FROM proxysql_servers");
        if (router.Nodes.Length > 1)
            sql.Add("INSERT INTO proxysql_servers (hostname,port,weight,comment) VALUES "
                    + string.Join(",", router.Nodes.Select(n => $"({SqlText.Quote(n.Name)},{StackPorts.ProxySqlAdmin},0,{SqlText.Quote(n.Name)})")));
        sql.Add("LOAD PROXYSQL SERVERS TO RUNTIME");
        sql.Add("SAVE PROXYSQL SERVERS TO DISK");
        return sql;
    }

    /// <summary>The statements as a script file: one per line, each ended by a semicolon.</summary>
    public static string RenderAdminScript(TopologySpec spec, StackSecrets secrets) =>
        $"-- ProxySQL admin statements for topology '{spec.Name}', rendered by HaPortal. Run against port {StackPorts.ProxySqlAdmin}.\n"
        + string.Concat(RenderAdminSql(spec, secrets).Select(s => s + ";\n"));

    /// <summary>
    /// The version ProxySQL reports to clients. Drivers pick dialects from it, so it names the real backend
    /// ("10.11.0-MariaDB") rather than ProxySQL's default 8.0.27.
    /// </summary>
    public static string ServerVersion(DatabaseSpec db)
    {
        var parts = db.Version.Split('.', StringSplitOptions.RemoveEmptyEntries).ToList();
        while (parts.Count < 3) parts.Add("0");
        var version = string.Join('.', parts);
        return db.Flavor == DatabaseFlavor.MariaDb ? version + "-MariaDB" : version;
    }

    private static SqlRouterSpec RouterOf(TopologySpec spec) =>
        spec.SqlRouter ?? throw new ArgumentException($"Topology '{spec.Name}' has no sqlRouter to render.", nameof(spec));

    // ':' and ';' separate users in admin_credentials; a password holding one would silently split.
    private static void CheckAdminCredential(StackSecrets secrets)
    {
        if (secrets.ProxySqlAdminUser.IndexOfAny([':', ';']) >= 0 || secrets.ProxySqlAdminPassword.IndexOfAny([':', ';']) >= 0)
            throw new ArgumentException("The ProxySQL admin user and password cannot contain ':' or ';'.", nameof(secrets));
    }

    private static string SetVariable(string name, string value) =>
        $"UPDATE global_variables SET variable_value={SqlText.Quote(value)} WHERE variable_name={SqlText.Quote(name)}";

    private sealed record Server(int Hostgroup, string Host, string Comment, int Weight = ServerWeight);

    // The primary in the writer hostgroup, replicas in the reader hostgroup. With writer_is_also_reader ProxySQL also
    // adds the writer to the reader hostgroup at runtime, at its writer weight — unless the reader hostgroup already
    // holds it: the read fallback row, at a low weight, so the primary takes reads only when the replicas are gone.
    private static IEnumerable<Server> Servers(TopologySpec spec)
    {
        var router = RouterOf(spec);
        var hg = router.Hostgroups;
        if (spec.Database.Primary is { } primary)
        {
            yield return new(hg.Writer, primary.Name, $"{primary.Name} primary");
            if (router.ReadFallback.Enabled)
                yield return new(hg.Reader, primary.Name, $"{primary.Name} primary (read fallback)", router.ReadFallback.Weight);
        }
        foreach (var replica in spec.Database.Replicas) yield return new(hg.Reader, replica.Name, $"{replica.Name} replica");
    }

    private static IEnumerable<string> RuleFields(QueryRuleSpec r, HostgroupSpec hg)
    {
        var q = LibconfigText.Quote;
        yield return $"rule_id={r.Id.ToString(CultureInfo.InvariantCulture)}";
        yield return $"active={SqlText.Bool(r.Active)}";
        if (r.Username is { } user) yield return $"username={q(user)}";
        if (r.Schemaname is { } schema) yield return $"schemaname={q(schema)}";
        if (r.FlagIn != 0) yield return $"flagIN={r.FlagIn}";
        if (r.MatchDigest is { } digest) yield return $"match_digest={q(digest)}";
        if (r.MatchPattern is { } pattern) yield return $"match_pattern={q(pattern)}";
        if (r.NegateMatchPattern) yield return "negate_match_pattern=1";
        if (r.FlagOut is { } flagOut) yield return $"flagOUT={flagOut}";
        if (r.ResolveDestination(hg) is { } dest) yield return $"destination_hostgroup={dest}";
        yield return $"apply={SqlText.Bool(r.Apply)}";
        if (r.Comment is { } comment) yield return $"comment={q(comment)}";
    }
}
