using System.Diagnostics;
using MySqlConnector;

namespace HaPortal.Core.ProxySql;

/// <summary>
/// <see cref="IProxySqlAdmin"/> over MySqlConnector. One connection per call (no pooling: ProxySQL's admin is not a
/// MySQL server and gains nothing from connection reset), one statement per command, values as SQLite literals.
/// </summary>
public sealed class ProxySqlAdminClient(ProxySqlEndpoint endpoint, string? nodeName = null) : IProxySqlAdmin
{
    private readonly string _connectionString = new MySqlConnectionStringBuilder
    {
        Server = endpoint.Host,
        Port = (uint)endpoint.Port,
        UserID = endpoint.User,
        Password = endpoint.Password,
        Pooling = false,
        SslMode = MySqlSslMode.Preferred,
        ConnectionTimeout = 5,
        DefaultCommandTimeout = 30,
        AllowUserVariables = true, // statements are sent as written; never let the client reinterpret @ or ?
    }.ConnectionString;

    public string Node { get; } = nodeName ?? endpoint.Address;

    // ----- reads -----

    public Task<IReadOnlyList<ProxySqlQueryRule>> GetQueryRulesAsync(AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default) =>
        ReadTableAsync(AdminTables.QueryRules, layer, "ORDER BY rule_id", ct);

    public Task<IReadOnlyList<ProxySqlServer>> GetServersAsync(AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default) =>
        ReadTableAsync(AdminTables.Servers, layer, "ORDER BY hostgroup_id, hostname, port", ct);

    public Task<IReadOnlyList<ProxySqlUser>> GetUsersAsync(AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default) =>
        ReadTableAsync(AdminTables.Users, layer, "ORDER BY username", ct);

    public Task<IReadOnlyList<ReplicationHostgroup>> GetReplicationHostgroupsAsync(AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default) =>
        ReadTableAsync(AdminTables.ReplicationHostgroups, layer, "ORDER BY writer_hostgroup", ct);

    public Task<IReadOnlyList<ProxySqlPeer>> GetPeersAsync(AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default) =>
        ReadTableAsync(AdminTables.Peers, layer, "ORDER BY hostname, port", ct);

    public async Task<IReadOnlyList<GlobalVariable>> GetVariablesAsync(string prefix, AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default)
    {
        var table = layer switch { AdminLayer.Runtime => "runtime_global_variables", AdminLayer.Disk => "disk.global_variables", _ => "global_variables" };
        var rows = await QueryAsync($"SELECT variable_name, variable_value FROM {table} WHERE variable_name LIKE {AdminTables.Literal(EscapeLike(prefix) + "%")} ESCAPE '\\' ORDER BY variable_name", ct)
            .ConfigureAwait(false);
        return rows.Select(r => new GlobalVariable(r.Text("variable_name"), r.Text("variable_value"))).ToList();
    }

    public async Task<IReadOnlyList<QueryDigestStat>> GetQueryDigestsAsync(CancellationToken ct = default) =>
        (await QueryAsync("SELECT hostgroup, schemaname, username, digest, digest_text, count_star, first_seen, last_seen, sum_time, min_time, max_time, sum_rows_affected, sum_rows_sent FROM stats_mysql_query_digest ORDER BY count_star DESC", ct).ConfigureAwait(false))
        .Select(r => new QueryDigestStat(r.Int("hostgroup"), r.Text("schemaname"), r.Text("username"), r.Text("digest"), r.Text("digest_text"),
            r.Long("count_star"), r.Long("first_seen"), r.Long("last_seen"), r.Long("sum_time"), r.Long("min_time"), r.Long("max_time"),
            r.Long("sum_rows_affected"), r.Long("sum_rows_sent"))).ToList();

    public async Task<IReadOnlyList<ConnectionPoolStat>> GetConnectionPoolAsync(CancellationToken ct = default) =>
        (await QueryAsync("SELECT hostgroup, srv_host, srv_port, status, ConnUsed, ConnFree, ConnOK, ConnERR, MaxConnUsed, Queries, Bytes_data_sent, Bytes_data_recv, Latency_us FROM stats_mysql_connection_pool ORDER BY hostgroup, srv_host, srv_port", ct).ConfigureAwait(false))
        .Select(r => new ConnectionPoolStat(r.Int("hostgroup"), r.Text("srv_host"), r.Int("srv_port"), r.Text("status"), r.Long("ConnUsed"),
            r.Long("ConnFree"), r.Long("ConnOK"), r.Long("ConnERR"), r.Long("MaxConnUsed"), r.Long("Queries"), r.Long("Bytes_data_sent"),
            r.Long("Bytes_data_recv"), r.Long("Latency_us"))).ToList();

    public async Task<IReadOnlyList<QueryRuleHits>> GetRuleHitsAsync(CancellationToken ct = default) =>
        (await QueryAsync("SELECT rule_id, hits FROM stats_mysql_query_rules ORDER BY rule_id", ct).ConfigureAwait(false))
        .Select(r => new QueryRuleHits(r.Int("rule_id"), r.Long("hits"))).ToList();

    private async Task<IReadOnlyList<T>> ReadTableAsync<T>(AdminTable<T> table, AdminLayer layer, string orderBy, CancellationToken ct) =>
        (await QueryAsync($"SELECT {string.Join(", ", table.Columns)} FROM {table.In(layer)} {orderBy}", ct).ConfigureAwait(false))
        .Select(table.FromRow).ToList();

    private async Task<List<AdminRow>> QueryAsync(string sql, CancellationToken ct)
    {
        try
        {
            await using var connection = new MySqlConnection(_connectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return await QueryAsync(connection, sql, ct).ConfigureAwait(false);
        }
        catch (MySqlException e)
        {
            throw new ProxySqlAdminException(Node, sql, e.Message, e);
        }
    }

    private static async Task<List<AdminRow>> QueryAsync(MySqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new List<AdminRow>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < reader.FieldCount; i++)
                values[reader.GetName(i)] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
            rows.Add(new AdminRow(values));
        }
        return rows;
    }

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    // ----- changes -----

    public Task<NodeChangeResult> ReplaceQueryRulesAsync(IReadOnlyList<ProxySqlQueryRule> rules, CancellationToken ct = default) => ReplaceAsync(AdminTables.QueryRules, rules, ct);
    public Task<NodeChangeResult> ReplaceServersAsync(IReadOnlyList<ProxySqlServer> servers, CancellationToken ct = default) => ReplaceAsync(AdminTables.Servers, servers, ct);
    public Task<NodeChangeResult> ReplaceUsersAsync(IReadOnlyList<ProxySqlUser> users, CancellationToken ct = default) => ReplaceAsync(AdminTables.Users, users, ct);
    public Task<NodeChangeResult> ReplaceReplicationHostgroupsAsync(IReadOnlyList<ReplicationHostgroup> hostgroups, CancellationToken ct = default) => ReplaceAsync(AdminTables.ReplicationHostgroups, hostgroups, ct);
    public Task<NodeChangeResult> ReplacePeersAsync(IReadOnlyList<ProxySqlPeer> peers, CancellationToken ct = default) => ReplaceAsync(AdminTables.Peers, peers, ct);

    private Task<NodeChangeResult> ReplaceAsync<T>(AdminTable<T> table, IReadOnlyList<T> rows, CancellationToken ct)
    {
        var inserts = rows.Select(r => $"INSERT INTO {table.Name} ({string.Join(", ", table.Columns)}) VALUES ({string.Join(", ", table.ToRow(r).Select(AdminTables.Literal))})").ToList();
        return ChangeAsync(new Change(
            table.Module,
            Snapshot: $"SELECT * FROM {table.Name}",
            Writes: [$"DELETE FROM {table.Name}", .. inserts],
            RestoreTable: table.Name,
            RestoreClear: $"DELETE FROM {table.Name}",
            Confirm: async (connection, c) =>
            {
                var runtime = (await QueryAsync(connection, $"SELECT {string.Join(", ", table.Columns)} FROM {table.In(AdminLayer.Runtime)}", c).ConfigureAwait(false))
                    .Select(table.FromRow).ToList();
                if (table.Confirm is { } confirm) return confirm(rows, runtime);
                static string Key(object?[] row) => string.Join("\u001f", row.Select(AdminTables.Literal));
                var want = rows.Select(r => Key(table.ToRow(r))).Order(StringComparer.Ordinal).ToList();
                var have = runtime.Select(r => Key(table.ToRow(r))).Order(StringComparer.Ordinal).ToList();
                return want.SequenceEqual(have) ? null : $"runtime_{table.Name} holds {have.Count} rows that differ from the {want.Count} written";
            }), ct);
    }

    public Task<NodeChangeResult> SetVariablesAsync(IReadOnlyList<GlobalVariable> variables, CancellationToken ct = default)
    {
        var prefixes = variables.Select(v => v.Name.Split('-')[0]).Distinct().ToList();
        if (prefixes is not (["mysql"] or ["admin"]))
            return Task.FromResult(new NodeChangeResult(Node, ChangeStep.Write, "Set either mysql-* or admin-* variables in one change (they load as separate modules)."));
        var names = string.Join(", ", variables.Select(v => AdminTables.Literal(v.Name)));
        return ChangeAsync(new Change(
            prefixes[0] == "mysql" ? "MYSQL VARIABLES" : "ADMIN VARIABLES",
            Snapshot: $"SELECT variable_name, variable_value FROM global_variables WHERE variable_name IN ({names})",
            Writes: variables.Select(v => $"UPDATE global_variables SET variable_value = {AdminTables.Literal(v.Value)} WHERE variable_name = {AdminTables.Literal(v.Name)}").ToList(),
            RestoreTable: "global_variables",
            RestoreClear: $"DELETE FROM global_variables WHERE variable_name IN ({names})",
            Confirm: async (connection, c) =>
            {
                var runtime = (await QueryAsync(connection, $"SELECT variable_name, variable_value FROM runtime_global_variables WHERE variable_name IN ({names})", c).ConfigureAwait(false))
                    .ToDictionary(r => r.Text("variable_name"), r => r.Text("variable_value"));
                var wrong = variables.Where(v => !runtime.TryGetValue(v.Name, out var value) || value != v.Value).Select(v => v.Name).ToList();
                return wrong.Count == 0 ? null : "not in effect in runtime_global_variables: " + string.Join(", ", wrong);
            }), ct);
    }

    private sealed record Change(string Module, string Snapshot, IReadOnlyList<string> Writes, string RestoreTable, string RestoreClear,
        Func<MySqlConnection, CancellationToken, Task<string?>> Confirm);

    /// <summary>
    /// Snapshot → write in one transaction → LOAD TO RUNTIME → SAVE TO DISK → confirm in runtime. A failure after the
    /// write restores the snapshot, and if runtime or disk may already hold the new rows, loads/saves the restored ones.
    /// </summary>
    private async Task<NodeChangeResult> ChangeAsync(Change change, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var step = ChangeStep.Connect;
        await using var connection = new MySqlConnection(_connectionString);
        List<AdminRow>? snapshot = null;
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            step = ChangeStep.Snapshot;
            snapshot = await QueryAsync(connection, change.Snapshot, ct).ConfigureAwait(false);

            step = ChangeStep.Write;
            await ExecuteAsync(connection, "BEGIN", ct).ConfigureAwait(false);
            try
            {
                foreach (var sql in change.Writes) await ExecuteAsync(connection, sql, ct).ConfigureAwait(false);
                await ExecuteAsync(connection, "COMMIT", ct).ConfigureAwait(false);
            }
            catch (MySqlException e)
            {
                var rolledBack = await TryAsync(() => ExecuteAsync(connection, "ROLLBACK", CancellationToken.None)).ConfigureAwait(false);
                return new NodeChangeResult(Node, ChangeStep.Write, e.Message, rolledBack is null, rolledBack, clock.Elapsed);
            }

            step = ChangeStep.LoadToRuntime;
            await ExecuteAsync(connection, $"LOAD {change.Module} TO RUNTIME", ct).ConfigureAwait(false);
            step = ChangeStep.SaveToDisk;
            await ExecuteAsync(connection, $"SAVE {change.Module} TO DISK", ct).ConfigureAwait(false);
            step = ChangeStep.Confirm;
            if (await change.Confirm(connection, ct).ConfigureAwait(false) is { } mismatch)
                return await RestoreAsync(connection, change, snapshot, step, mismatch, clock).ConfigureAwait(false);
            return new NodeChangeResult(Node, Elapsed: clock.Elapsed);
        }
        catch (MySqlException e)
        {
            if (snapshot is null || step < ChangeStep.LoadToRuntime)
                return new NodeChangeResult(Node, step, e.Message, Elapsed: clock.Elapsed);
            return await RestoreAsync(connection, change, snapshot, step, e.Message, clock).ConfigureAwait(false);
        }
    }

    private async Task<NodeChangeResult> RestoreAsync(MySqlConnection connection, Change change, List<AdminRow> snapshot, ChangeStep failed,
        string message, Stopwatch clock)
    {
        // Restoring must run even when the caller has given up, so it does not take the caller's token.
        var ct = CancellationToken.None;
        var error = await TryAsync(async () =>
        {
            if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync(ct).ConfigureAwait(false);
            await ExecuteAsync(connection, "BEGIN", ct).ConfigureAwait(false);
            await ExecuteAsync(connection, change.RestoreClear, ct).ConfigureAwait(false);
            foreach (var row in snapshot)
            {
                var columns = row.Columns;
                await ExecuteAsync(connection, $"INSERT INTO {change.RestoreTable} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(c => AdminTables.Literal(row[c])))})", ct)
                    .ConfigureAwait(false);
            }
            await ExecuteAsync(connection, "COMMIT", ct).ConfigureAwait(false);
            // A failed LOAD left runtime as it was; after it, runtime (and after SAVE, disk) hold the new rows: put them back too.
            if (failed > ChangeStep.LoadToRuntime) await ExecuteAsync(connection, $"LOAD {change.Module} TO RUNTIME", ct).ConfigureAwait(false);
            if (failed > ChangeStep.SaveToDisk) await ExecuteAsync(connection, $"SAVE {change.Module} TO DISK", ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        if (error is not null) await TryAsync(() => ExecuteAsync(connection, "ROLLBACK", ct)).ConfigureAwait(false);
        return new NodeChangeResult(Node, failed, message, error is null, error, clock.Elapsed);
    }

    private static async Task<string?> TryAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is MySqlException or InvalidOperationException)
        {
            return e.Message;
        }
    }
}
