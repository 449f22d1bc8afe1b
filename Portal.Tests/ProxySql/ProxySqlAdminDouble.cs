using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using HaPortal.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace HaPortal.Tests.ProxySql;

/// <summary>
/// TEST DOUBLE of ProxySQL's admin interface (port 6032), for tests only; never a stand-in for the real thing.
/// Speaks enough of the MySQL protocol for MySqlConnector (v10 handshake, mysql_native_password, COM_QUERY with
/// text result sets, COM_PING, COM_INIT_DB, COM_RESET_CONNECTION, COM_QUIT) on a free loopback port. Its state is
/// an in-memory SQLite database, as ProxySQL's admin is, built from the <c>SHOW CREATE TABLE</c> texts captured
/// from ProxySQL 2.7.1 in shared/proxysql/schema: main tables, runtime_* copies, disk.* copies, stats.* and monitor.*.
/// LOAD/SAVE commands copy between main, runtime and disk like ProxySQL does. What it does not model: the monitor
/// moving servers between hostgroups, password hashing in runtime_mysql_users, checksums, traffic.
/// </summary>
public sealed class ProxySqlAdminDouble : IAsyncDisposable
{
    public const string Version = "2.7.1-16-g2726c27";

    /// <summary>Tables each LOAD/SAVE module copies (only the ones whose schema was captured).</summary>
    private static readonly Dictionary<string, string[]> ModuleTables = new(StringComparer.OrdinalIgnoreCase)
    {
        ["MYSQL SERVERS"] = ["mysql_servers", "mysql_replication_hostgroups", "mysql_galera_hostgroups"],
        ["MYSQL USERS"] = ["mysql_users"],
        ["MYSQL QUERY RULES"] = ["mysql_query_rules"],
        ["PROXYSQL SERVERS"] = ["proxysql_servers"],
    };

    private static readonly Regex LoadSave = new(
        @"^(?<verb>LOAD|SAVE)\s+(?<module>MYSQL\s+SERVERS|MYSQL\s+USERS|MYSQL\s+QUERY\s+RULES|MYSQL\s+VARIABLES|ADMIN\s+VARIABLES|PROXYSQL\s+SERVERS)\s+(?<dir>TO|FROM)\s+(?<where>RUNTIME|RUN|MEMORY|MEM|DISK)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private readonly TcpListener _listener;
    private readonly SqliteConnection _db;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Task> _sessions = [];
    private readonly List<(string Prefix, string Message)> _failures = [];
    private readonly List<string> _log = [];
    private int _connectionId;

    public string User { get; }
    public string Password { get; }
    public int Port { get; }

    /// <summary>Every statement received through COM_QUERY, in order (test hook for asserting the conversation).</summary>
    public IReadOnlyList<string> Statements { get { lock (_log) return [.. _log]; } }

    private ProxySqlAdminDouble(string user, string password)
    {
        User = user;
        Password = password;
        _db = new SqliteConnection("Data Source=:memory:");
        _db.Open();
        CreateSchema();
        Port = FreePort.Next();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public static ProxySqlAdminDouble Start(string user = "admin", string password = "admin") => new(user, password);

    /// <summary>Makes the next statement starting with <paramref name="statementPrefix"/> fail with ProxySQL's error format.</summary>
    public void FailOn(string statementPrefix, string message = "injected failure")
    {
        lock (_failures) _failures.Add((statementPrefix, message));
    }

    /// <summary>Runs SQL straight on the double's SQLite state (test hook: fill stats tables, inspect disk.*).</summary>
    public void ExecuteDirect(string sql)
    {
        _lock.Wait();
        try
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
        finally { _lock.Release(); }
    }

    /// <summary>Rows of a query on the double's SQLite state, NULL as null (test hook).</summary>
    public List<string?[]> QueryDirect(string sql)
    {
        _lock.Wait();
        try
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = sql;
            using var reader = cmd.ExecuteReader();
            var rows = new List<string?[]>();
            while (reader.Read())
                rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : Text(reader.GetValue(i))).ToArray());
            return rows;
        }
        finally { _lock.Release(); }
    }

    /// <summary>Adds one stats_mysql_query_digest row, as traffic through port 6033 would.</summary>
    public void AddDigest(int hostgroup, string schema, string user, string digestText, long count) =>
        ExecuteDirect($"""
            INSERT INTO stats.stats_mysql_query_digest VALUES ({hostgroup}, {Quote(schema)}, {Quote(user)}, '',
              {Quote("0x" + ((ulong)digestText.GetHashCode()).ToString("X16", CultureInfo.InvariantCulture))}, {Quote(digestText)},
              {count}, 1795862379, 1795862383, {count * 700}, 400, 3600, 0, {count})
            """);

    // ----- schema -----

    private void CreateSchema()
    {
        var dir = Path.Combine(RepoPaths.Shared, "proxysql", "schema");
        Exec("ATTACH DATABASE ':memory:' AS disk; ATTACH DATABASE ':memory:' AS stats; ATTACH DATABASE ':memory:' AS monitor;");
        foreach (var file in Directory.GetFiles(dir, "*.txt").Order(StringComparer.Ordinal))
        {
            var ddl = CreateTableText(File.ReadAllText(file));
            if (ddl is null) continue; // e.g. SHOW CREATE TABLE stats_mysql_query_rules without prefix: empty answer
            var name = Path.GetFileNameWithoutExtension(file);
            var table = Regex.Match(ddl, @"CREATE TABLE (\w+)").Groups[1].Value;
            if (name.StartsWith("stats.", StringComparison.Ordinal) || name.StartsWith("monitor.", StringComparison.Ordinal))
            {
                Exec(ddl.Replace($"CREATE TABLE {table}", $"CREATE TABLE {name}"));
                continue;
            }
            if (table.StartsWith("runtime_", StringComparison.Ordinal)) continue; // derived below from the main table
            Exec(ddl);
            Exec(ddl.Replace($"CREATE TABLE {table}", $"CREATE TABLE runtime_{table}"));
            Exec(ddl.Replace($"CREATE TABLE {table}", $"CREATE TABLE disk.{table}"));
        }
        using var tx = _db.BeginTransaction();
        foreach (var line in File.ReadLines(Path.Combine(RepoPaths.Shared, "proxysql", "global_variables.tsv")).Skip(1))
        {
            var tab = line.IndexOf('\t');
            if (tab < 0) continue;
            foreach (var target in new[] { "global_variables", "runtime_global_variables", "disk.global_variables" })
                Exec($"INSERT INTO {target} VALUES ({Quote(line[..tab])}, {Quote(line[(tab + 1)..])})");
        }
        tx.Commit();
    }

    /// <summary>The CREATE TABLE statement of a captured `SHOW CREATE TABLE` answer (tab-separated, multi-line).</summary>
    internal static string? CreateTableText(string captured)
    {
        // The answer row is "name<TAB>CREATE TABLE …"; the echoed command line also says CREATE TABLE, so anchor on the tab.
        var start = captured.IndexOf("\tCREATE TABLE", StringComparison.Ordinal) + 1;
        if (start == 0) return null;
        var end = captured.IndexOf("\n[exit=", start, StringComparison.Ordinal);
        return (end < 0 ? captured[start..] : captured[start..end]).Trim();
    }

    private void Exec(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    // ----- admin SQL -----

    internal abstract record Answer;
    internal sealed record Ok(long AffectedRows) : Answer;
    internal sealed record Rows(string[] Columns, List<string?[]> Values) : Answer;
    internal sealed record Error(string Message) : Answer;

    internal async Task<Answer> ExecuteAsync(string statement)
    {
        var sql = statement.Trim().TrimEnd(';').Trim();
        lock (_log) _log.Add(sql);
        lock (_failures)
        {
            var failure = _failures.FindIndex(f => sql.StartsWith(f.Prefix, StringComparison.OrdinalIgnoreCase));
            if (failure >= 0)
            {
                var message = _failures[failure].Message;
                _failures.RemoveAt(failure);
                return new Error("ProxySQL Admin Error: " + message);
            }
        }
        await _lock.WaitAsync();
        try
        {
            if (Regex.IsMatch(sql, @"^SELECT\s+(@@version\w*|version\(\))$", RegexOptions.IgnoreCase))
                return new Rows([sql[7..].Trim().StartsWith("version(", StringComparison.OrdinalIgnoreCase) ? "version()" : "@@version"], [[Version]]);
            // The real admin acknowledges session SETs (e.g. the SET NAMES MySqlConnector sends on connect) without acting on them.
            if (Regex.IsMatch(sql, @"^SET\s", RegexOptions.IgnoreCase)) return new Ok(0);
            var m = LoadSave.Match(sql);
            if (m.Success && Copy(m) is { } affected) return new Ok(affected);
            return RunSqlite(sql);
        }
        catch (SqliteException e)
        {
            return new Error("ProxySQL Admin Error: " + SqliteMessage(e));
        }
        finally { _lock.Release(); }
    }

    private Answer RunSqlite(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        if (reader.FieldCount == 0) return new Ok(Math.Max(0, reader.RecordsAffected));
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        var rows = new List<string?[]>();
        while (reader.Read())
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : Text(reader.GetValue(i))).ToArray());
        return new Rows(columns, rows);
    }

    /// <summary>LOAD/SAVE between layers; null for a spelling ProxySQL does not accept (SQLite then answers a syntax error).</summary>
    private long? Copy(Match m)
    {
        var load = m.Groups["verb"].Value.Equals("LOAD", StringComparison.OrdinalIgnoreCase);
        var to = m.Groups["dir"].Value.Equals("TO", StringComparison.OrdinalIgnoreCase);
        var where = m.Groups["where"].Value.ToUpperInvariant() switch { "RUN" => "RUNTIME", "MEM" => "MEMORY", var w => w };
        var module = Regex.Replace(m.Groups["module"].Value.ToUpperInvariant(), @"\s+", " ");
        (string From, string To)? direction = (load, to, where) switch
        {
            (true, true, "RUNTIME") or (true, false, "MEMORY") => ("memory", "runtime"),
            (true, false, "DISK") or (true, true, "MEMORY") => ("disk", "memory"),
            (false, true, "DISK") or (false, false, "MEMORY") => ("memory", "disk"),
            (false, false, "RUNTIME") or (false, true, "MEMORY") => ("runtime", "memory"),
            _ => null,
        };
        if (direction is not { } d) return null;

        using var tx = _db.BeginTransaction();
        long affected = 0;
        if (module.EndsWith("VARIABLES", StringComparison.Ordinal))
        {
            var prefix = module.StartsWith("MYSQL", StringComparison.Ordinal) ? "mysql-" : "admin-";
            var from = TableIn(d.From, "global_variables");
            var target = TableIn(d.To, "global_variables");
            using var cmd = _db.CreateCommand();
            cmd.CommandText = $"INSERT OR REPLACE INTO {target} SELECT * FROM {from} WHERE variable_name LIKE '{prefix}%'";
            var copied = cmd.ExecuteNonQuery();
            // ProxySQL reports the row count only for SAVE … TO DISK of variables (captured: 163 and 49).
            affected = d.To == "disk" ? copied : 0;
        }
        else
        {
            foreach (var table in ModuleTables[module])
            {
                Exec($"DELETE FROM {TableIn(d.To, table)}");
                Exec($"INSERT INTO {TableIn(d.To, table)} SELECT * FROM {TableIn(d.From, table)}");
            }
            if (module == "MYSQL QUERY RULES" && d.To == "runtime")
            {
                // New rule objects in ProxySQL start with zero hits.
                Exec("DELETE FROM stats.stats_mysql_query_rules");
                Exec("INSERT INTO stats.stats_mysql_query_rules SELECT rule_id, 0 FROM runtime_mysql_query_rules");
            }
        }
        tx.Commit();
        return affected;
    }

    private static string TableIn(string layer, string table) => layer switch
    {
        "runtime" => "main.runtime_" + table,
        "disk" => "disk." + table,
        _ => "main." + table,
    };

    private static string SqliteMessage(SqliteException e)
    {
        var m = Regex.Match(e.Message, @"^SQLite Error \d+: '(?<m>.*)'\.$", RegexOptions.Singleline);
        return m.Success ? m.Groups["m"].Value : e.Message;
    }

    private static string Text(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    internal static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    // ----- MySQL protocol -----

    private const uint Capabilities =
        0x00000001 /* LONG_PASSWORD */ | 0x00000002 /* FOUND_ROWS */ | 0x00000004 /* LONG_FLAG */ | 0x00000008 /* CONNECT_WITH_DB */
        | 0x00000200 /* PROTOCOL_41 */ | 0x00002000 /* TRANSACTIONS */ | 0x00008000 /* SECURE_CONNECTION */
        | 0x00010000 /* MULTI_STATEMENTS */ | 0x00020000 /* MULTI_RESULTS */ | 0x00080000 /* PLUGIN_AUTH */;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            lock (_sessions) _sessions.Add(Task.Run(() => ServeAsync(client)));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var ct = _stop.Token;
        try
        {
            var scramble = RandomNumberGenerator.GetBytes(20).Select(b => (byte)(b % 94 + 33)).ToArray();
            await WriteAsync(stream, 0, Handshake(Interlocked.Increment(ref _connectionId), scramble), ct);
            var (seq, response) = await ReadAsync(stream, ct);
            if (response is null) return;
            if (!Authenticate(response, scramble, out var user))
            {
                var peer = ((IPEndPoint)client.Client.RemoteEndPoint!).Address;
                await WriteAsync(stream, (byte)(seq + 1),
                    Err(1045, "28000", $"ProxySQL Error: Access denied for user '{user}'@'{peer}' (using password: YES)"), ct);
                return;
            }
            await WriteAsync(stream, (byte)(seq + 1), OkPacket(0), ct);
            while (true)
            {
                var (_, packet) = await ReadAsync(stream, ct);
                if (packet is null || packet.Length == 0 || packet[0] == 0x01) return; // COM_QUIT or closed
                switch (packet[0])
                {
                    case 0x03:
                        var answer = await ExecuteAsync(Encoding.UTF8.GetString(packet, 1, packet.Length - 1));
                        await SendAsync(stream, answer, ct);
                        break;
                    case 0x02 or 0x0e or 0x1f: // INIT_DB, PING, RESET_CONNECTION
                        await WriteAsync(stream, 1, OkPacket(0), ct);
                        break;
                    default:
                        await WriteAsync(stream, 1, Err(1047, "08S01", $"ProxySQL Admin Error: command {packet[0]} not supported"), ct);
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // client went away or the double is stopping
        }
    }

    private bool Authenticate(byte[] response, byte[] scramble, out string user)
    {
        var pos = 4 + 4 + 1 + 23;
        var end = Array.IndexOf(response, (byte)0, pos);
        user = Encoding.UTF8.GetString(response, pos, end - pos);
        pos = end + 1;
        int length = response[pos++];
        var token = response.AsSpan(pos, length).ToArray();
        if (user != User) return false;
        return token.AsSpan().SequenceEqual(NativePasswordToken(Password, scramble));
    }

    internal static byte[] NativePasswordToken(string password, byte[] scramble)
    {
        if (password.Length == 0) return [];
        var stage1 = SHA1.HashData(Encoding.UTF8.GetBytes(password));
        var stage2 = SHA1.HashData(stage1);
        var mix = SHA1.HashData([.. scramble, .. stage2]);
        for (var i = 0; i < mix.Length; i++) mix[i] ^= stage1[i];
        return mix;
    }

    private static byte[] Handshake(int connectionId, byte[] scramble)
    {
        var p = new List<byte> { 10 };
        p.AddRange(Encoding.ASCII.GetBytes("8.0.27")); // mysql-server_version, as the real admin announces
        p.Add(0);
        p.AddRange(BitConverter.GetBytes(connectionId));
        p.AddRange(scramble.AsSpan(0, 8).ToArray());
        p.Add(0);
        p.AddRange(BitConverter.GetBytes((ushort)(Capabilities & 0xffff)));
        p.Add(33); // utf8_general_ci
        p.AddRange(BitConverter.GetBytes((ushort)2)); // SERVER_STATUS_AUTOCOMMIT
        p.AddRange(BitConverter.GetBytes((ushort)(Capabilities >> 16)));
        p.Add(21);
        p.AddRange(new byte[10]);
        p.AddRange(scramble.AsSpan(8, 12).ToArray());
        p.Add(0);
        p.AddRange(Encoding.ASCII.GetBytes("mysql_native_password"));
        p.Add(0);
        return [.. p];
    }

    private static async Task SendAsync(NetworkStream stream, Answer answer, CancellationToken ct)
    {
        switch (answer)
        {
            case Ok ok:
                await WriteAsync(stream, 1, OkPacket(ok.AffectedRows), ct);
                break;
            case Error err:
                await WriteAsync(stream, 1, Err(1045, "28000", err.Message), ct);
                break;
            case Rows rows:
                byte seq = 1;
                var packets = new List<byte[]> { LengthEncoded((ulong)rows.Columns.Length) };
                packets.AddRange(rows.Columns.Select(ColumnDefinition));
                packets.Add(Eof());
                foreach (var row in rows.Values)
                {
                    var r = new List<byte>();
                    foreach (var v in row)
                        if (v is null) r.Add(0xfb);
                        else r.AddRange(LengthEncodedString(v));
                    packets.Add([.. r]);
                }
                packets.Add(Eof());
                using (var buffer = new MemoryStream())
                {
                    foreach (var packet in packets) Frame(buffer, seq++, packet);
                    await stream.WriteAsync(buffer.ToArray(), ct);
                }
                break;
        }
    }

    /// <summary>Every column as VAR_STRING, as ProxySQL's admin sends them.</summary>
    private static byte[] ColumnDefinition(string name)
    {
        var p = new List<byte>();
        foreach (var s in new[] { "def", "", "", "", name, name }) p.AddRange(LengthEncodedString(s));
        p.Add(0x0c);
        p.AddRange(BitConverter.GetBytes((ushort)33));
        p.AddRange(BitConverter.GetBytes(1024u));
        p.Add(0xfd);
        p.AddRange(BitConverter.GetBytes((ushort)0));
        p.Add(0);
        p.AddRange(new byte[2]);
        return [.. p];
    }

    private static byte[] OkPacket(long affected) => [0x00, .. LengthEncoded((ulong)affected), 0x00, 0x02, 0x00, 0x00, 0x00];

    private static byte[] Eof() => [0xfe, 0x00, 0x00, 0x02, 0x00];

    private static byte[] Err(ushort code, string state, string message) =>
        [0xff, .. BitConverter.GetBytes(code), (byte)'#', .. Encoding.ASCII.GetBytes(state), .. Encoding.UTF8.GetBytes(message)];

    private static byte[] LengthEncodedString(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        return [.. LengthEncoded((ulong)bytes.Length), .. bytes];
    }

    private static byte[] LengthEncoded(ulong n) => n switch
    {
        < 251 => [(byte)n],
        < 0x10000 => [0xfc, (byte)n, (byte)(n >> 8)],
        < 0x1000000 => [0xfd, (byte)n, (byte)(n >> 8), (byte)(n >> 16)],
        _ => [0xfe, .. BitConverter.GetBytes(n)],
    };

    private static void Frame(Stream buffer, byte seq, byte[] payload)
    {
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        header[3] = seq;
        buffer.Write(header);
        buffer.Write(payload);
    }

    private static async Task WriteAsync(NetworkStream stream, byte seq, byte[] payload, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        Frame(buffer, seq, payload);
        await stream.WriteAsync(buffer.ToArray(), ct);
    }

    private static async Task<(byte Seq, byte[]? Payload)> ReadAsync(NetworkStream stream, CancellationToken ct)
    {
        var header = new byte[4];
        if (!await ReadExactlyOrEndAsync(stream, header, ct)) return (0, null);
        var length = header[0] | header[1] << 8 | header[2] << 16;
        var payload = new byte[length];
        if (!await ReadExactlyOrEndAsync(stream, payload, ct)) return (0, null);
        return (header[3], payload);
    }

    private static async Task<bool> ReadExactlyOrEndAsync(NetworkStream stream, byte[] buffer, CancellationToken ct)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, ct);
            return true;
        }
        catch (EndOfStreamException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        Task[] sessions;
        lock (_sessions) sessions = [.. _sessions];
        await Task.WhenAll(sessions);
        _db.Dispose();
        _stop.Dispose();
        _lock.Dispose();
    }
}
