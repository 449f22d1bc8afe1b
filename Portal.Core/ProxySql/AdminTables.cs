using System.Globalization;

namespace HaPortal.Core.ProxySql;

/// <summary>One admin table: its LOAD/SAVE module, the columns the portal writes, and the mapping to a record.</summary>
internal sealed class AdminTable<T>
{
    public required string Name { get; init; }
    public required string Module { get; init; }
    public required string[] Columns { get; init; }
    public required Func<T, object?[]> ToRow { get; init; }
    public required Func<AdminRow, T> FromRow { get; init; }

    /// <summary>
    /// What must hold in runtime after a load. Default: the written rows, projected on <see cref="Columns"/>, equal
    /// the runtime rows. Tables ProxySQL rewrites at runtime (servers moved by the monitor, hashed passwords) say less.
    /// </summary>
    public Func<IReadOnlyList<T>, IReadOnlyList<T>, string?>? Confirm { get; init; }

    public string In(AdminLayer layer) => layer switch
    {
        AdminLayer.Runtime => "runtime_" + Name,
        AdminLayer.Disk => "disk." + Name,
        _ => Name,
    };
}

/// <summary>A row as the admin interface returns it: every value text (or NULL).</summary>
internal sealed class AdminRow(IReadOnlyDictionary<string, string?> values)
{
    public string? this[string column] => values.TryGetValue(column, out var v) ? v : null;

    /// <summary>Column names in the order the server sent them (insert-only dictionary keeps that order).</summary>
    public IReadOnlyList<string> Columns => [.. values.Keys];
    public string Text(string column) => this[column] ?? "";
    public int Int(string column) => int.Parse(Text(column), NumberStyles.Integer, CultureInfo.InvariantCulture);
    public long Long(string column) => this[column] is { Length: > 0 } v ? long.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture) : 0;
    public int? IntOrNull(string column) => this[column] is { } v ? int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture) : null;
    public bool Bool(string column) => Text(column) == "1";
    public bool? BoolOrNull(string column) => this[column] is { } v ? v == "1" : null;
}

internal static class AdminTables
{
    public static readonly AdminTable<ProxySqlQueryRule> QueryRules = new()
    {
        Name = "mysql_query_rules",
        Module = "MYSQL QUERY RULES",
        Columns = ["rule_id", "active", "username", "schemaname", "flagIN", "match_digest", "match_pattern", "negate_match_pattern",
            "re_modifiers", "flagOUT", "destination_hostgroup", "cache_ttl", "timeout", "retries", "mirror_hostgroup", "multiplex",
            "log", "apply", "comment"],
        ToRow = r => [r.RuleId, r.Active, r.Username, r.Schemaname, r.FlagIn, r.MatchDigest, r.MatchPattern, r.NegateMatchPattern,
            r.ReModifiers, r.FlagOut, r.DestinationHostgroup, r.CacheTtl, r.Timeout, r.Retries, r.MirrorHostgroup, r.Multiplex,
            r.Log, r.Apply, r.Comment],
        FromRow = r => new ProxySqlQueryRule
        {
            RuleId = r.Int("rule_id"), Active = r.Bool("active"), Username = r["username"], Schemaname = r["schemaname"],
            FlagIn = r.Int("flagIN"), MatchDigest = r["match_digest"], MatchPattern = r["match_pattern"],
            NegateMatchPattern = r.Bool("negate_match_pattern"), ReModifiers = r["re_modifiers"] ?? "", FlagOut = r.IntOrNull("flagOUT"),
            DestinationHostgroup = r.IntOrNull("destination_hostgroup"), CacheTtl = r.IntOrNull("cache_ttl"), Timeout = r.IntOrNull("timeout"),
            Retries = r.IntOrNull("retries"), MirrorHostgroup = r.IntOrNull("mirror_hostgroup"), Multiplex = r.IntOrNull("multiplex"),
            Log = r.BoolOrNull("log"), Apply = r.Bool("apply"), Comment = r["comment"],
        },
    };

    public static readonly AdminTable<ProxySqlServer> Servers = new()
    {
        Name = "mysql_servers",
        Module = "MYSQL SERVERS",
        Columns = ["hostgroup_id", "hostname", "port", "status", "weight", "max_connections", "max_replication_lag", "use_ssl", "max_latency_ms", "comment"],
        ToRow = s => [s.HostgroupId, s.Hostname, s.Port, s.Status, s.Weight, s.MaxConnections, s.MaxReplicationLag, s.UseSsl, s.MaxLatencyMs, s.Comment],
        FromRow = r => new ProxySqlServer
        {
            HostgroupId = r.Int("hostgroup_id"), Hostname = r.Text("hostname"), Port = r.Int("port"), Status = r.Text("status"),
            Weight = r.Int("weight"), MaxConnections = r.Int("max_connections"), MaxReplicationLag = r.Int("max_replication_lag"),
            UseSsl = r.Bool("use_ssl"), MaxLatencyMs = r.Int("max_latency_ms"), Comment = r.Text("comment"),
        },
        // With mysql_replication_hostgroups the monitor moves servers between hostgroups (and adds the writer to the
        // reader hostgroup), so runtime need not equal memory. What must hold: each server is there with its status.
        Confirm = (written, runtime) =>
        {
            var missing = written.Select(s => (s.Hostname, s.Port, s.Status)).Distinct()
                .Where(w => !runtime.Any(r => r.Hostname == w.Hostname && r.Port == w.Port && string.Equals(r.Status, w.Status, StringComparison.OrdinalIgnoreCase)))
                .Select(w => $"{w.Hostname}:{w.Port} {w.Status}").ToList();
            return missing.Count == 0 ? null : "not in runtime_mysql_servers: " + string.Join(", ", missing);
        },
    };

    public static readonly AdminTable<ProxySqlUser> Users = new()
    {
        Name = "mysql_users",
        Module = "MYSQL USERS",
        Columns = ["username", "password", "active", "default_hostgroup", "default_schema", "transaction_persistent", "fast_forward", "max_connections", "comment"],
        ToRow = u => [u.Username, u.Password, u.Active, u.DefaultHostgroup, u.DefaultSchema, u.TransactionPersistent, u.FastForward, u.MaxConnections, u.Comment],
        FromRow = r => new ProxySqlUser
        {
            Username = r.Text("username"), Password = r["password"], Active = r.Bool("active"), DefaultHostgroup = r.Int("default_hostgroup"),
            DefaultSchema = r["default_schema"], TransactionPersistent = r.Bool("transaction_persistent"), FastForward = r.Bool("fast_forward"),
            MaxConnections = r.Int("max_connections"), Comment = r.Text("comment"),
        },
        // Runtime keeps hashed passwords and one row per frontend/backend side: compare who and where only.
        Confirm = (written, runtime) =>
        {
            var missing = written.Where(w => !runtime.Any(r => r.Username == w.Username && r.DefaultHostgroup == w.DefaultHostgroup && r.Active == w.Active))
                .Select(w => w.Username).ToList();
            return missing.Count == 0 ? null : "not in runtime_mysql_users: " + string.Join(", ", missing);
        },
    };

    public static readonly AdminTable<ReplicationHostgroup> ReplicationHostgroups = new()
    {
        Name = "mysql_replication_hostgroups",
        Module = "MYSQL SERVERS",
        Columns = ["writer_hostgroup", "reader_hostgroup", "check_type", "comment"],
        ToRow = h => [h.WriterHostgroup, h.ReaderHostgroup, h.CheckType, h.Comment],
        FromRow = r => new ReplicationHostgroup(r.Int("writer_hostgroup"), r.Int("reader_hostgroup"), r.Text("check_type"), r.Text("comment")),
    };

    public static readonly AdminTable<ProxySqlPeer> Peers = new()
    {
        Name = "proxysql_servers",
        Module = "PROXYSQL SERVERS",
        Columns = ["hostname", "port", "weight", "comment"],
        ToRow = p => [p.Hostname, p.Port, p.Weight, p.Comment],
        FromRow = r => new ProxySqlPeer(r.Text("hostname"), r.Int("port"), r.Int("weight"), r.Text("comment")),
    };

    /// <summary>
    /// A SQL literal for ProxySQL's admin (SQLite): NULL, a bare number, or a single-quoted string with quotes doubled.
    /// Built here rather than by MySqlConnector's parameters, whose backslash escaping SQLite does not undo (a regex
    /// like ^SELECT\s would be stored with two backslashes).
    /// </summary>
    public static string Literal(object? value) => value switch
    {
        null => "NULL",
        bool b => b ? "1" : "0",
        int or long => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        string s when s.Contains('\0', StringComparison.Ordinal) => throw new ArgumentException("A value for ProxySQL may not contain a NUL character."),
        string s => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
        _ => throw new ArgumentException($"No SQL literal for {value.GetType().Name}."),
    };
}
