using System.Diagnostics;
using HaPortal.Core.Replication;
using HaPortal.Tests.Infrastructure;
using MySqlConnector;

namespace HaPortal.Tests.Replication;

/// <summary>
/// N throwaway local <c>mariadbd</c> processes replicating with GTIDs: node 1 the primary, the others read-only
/// replicas. Datadirs come from one template made once per test run with <c>mariadb-install-db</c> (users already
/// created: admin, repl, app), copied per node, so a fresh cluster costs a copy and N server starts.
/// Everything listens on 127.0.0.1 only.
/// </summary>
public sealed class LocalMariaDbCluster : IAsyncDisposable
{
    public const string AdminUser = "admin", AdminPassword = "admin-pw";
    public const string ReplUser = "repl", ReplPassword = "repl-pw";
    public const string AppUser = "app", AppPassword = "app-pw", AppSchema = "app";

    public static readonly ReplicationCredentials Credentials = new(AdminUser, AdminPassword, ReplUser, ReplPassword);

    private static readonly SemaphoreSlim TemplateLock = new(1, 1);
    private static string? _template;

    private readonly string _root;
    public IReadOnlyList<LocalMariaDbNode> Nodes { get; }

    private LocalMariaDbCluster(string root, IReadOnlyList<LocalMariaDbNode> nodes) => (_root, Nodes) = (root, nodes);

    public LocalMariaDbNode this[string name] => Nodes.Single(n => n.Name == name);

    public IReadOnlyDictionary<string, DbEndpoint> Endpoints => Nodes.ToDictionary(n => n.Name, n => n.Endpoint);

    /// <summary>Starts <paramref name="count"/> nodes named db1..dbN; db1 is the primary, the rest replicate from it.</summary>
    public static async Task<LocalMariaDbCluster> StartAsync(int count = 3, bool semiSync = false, CancellationToken ct = default)
    {
        var mariadbd = Prerequisite.RequireExecutable("mariadbd");
        var installDb = Prerequisite.RequireExecutable("mariadb-install-db");
        var template = await TemplateAsync(mariadbd, installDb, ct);
        var root = Directory.CreateTempSubdirectory("hp-repl-").FullName;
        var nodes = Enumerable.Range(1, count)
            .Select(i => new LocalMariaDbNode(mariadbd, $"db{i}", i, Path.Combine(root, $"db{i}"), FreePort.Next(), semiSync))
            .ToList();
        var cluster = new LocalMariaDbCluster(root, nodes);
        try
        {
            foreach (var n in nodes) CopyDirectory(template, n.DataDir);
            await Task.WhenAll(nodes.Select(n => n.StartAsync(ct)));
            foreach (var replica in nodes.Skip(1)) await replica.ReplicateFromAsync(nodes[0], ct);
            foreach (var replica in nodes.Skip(1)) await replica.WaitUntilReplicatingAsync(ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var n in Nodes) n.Kill();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } // a log file still being closed
        await Task.CompletedTask;
    }

    private static async Task<string> TemplateAsync(string mariadbd, string installDb, CancellationToken ct)
    {
        await TemplateLock.WaitAsync(ct);
        try
        {
            if (_template is not null) return _template;
            var dir = Directory.CreateTempSubdirectory("hp-repl-template-").FullName;
            var data = Path.Combine(dir, "data");
            await RunAsync(installDb, ["--no-defaults", $"--datadir={data}", "--auth-root-authentication-method=normal",
                "--skip-test-db", .. LocalMariaDbNode.StorageOptions], ct);
            // Users are created once here, with the binary log off, so they are not part of any node's GTID history.
            var node = new LocalMariaDbNode(mariadbd, "template", 99, data, FreePort.Next(), false, logBin: false);
            await node.StartAsync(ct, asRootOverSocket: true);
            await using (var c = await node.OpenRootAsync(ct))
            {
                foreach (var sql in new[]
                {
                    "DELETE FROM mysql.global_priv WHERE User = ''",
                    "FLUSH PRIVILEGES",
                    $"CREATE USER '{AdminUser}'@'127.0.0.1' IDENTIFIED BY '{AdminPassword}'",
                    $"GRANT ALL ON *.* TO '{AdminUser}'@'127.0.0.1' WITH GRANT OPTION",
                    $"CREATE USER '{ReplUser}'@'127.0.0.1' IDENTIFIED BY '{ReplPassword}'",
                    $"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '{ReplUser}'@'127.0.0.1'",
                    $"CREATE DATABASE {AppSchema}",
                    $"CREATE USER '{AppUser}'@'127.0.0.1' IDENTIFIED BY '{AppPassword}'",
                    $"GRANT ALL ON {AppSchema}.* TO '{AppUser}'@'127.0.0.1'",
                })
                {
                    await using var cmd = new MySqlCommand(sql, c);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
            }
            await node.StopAsync(ct);
            return _template = data;
        }
        finally { TemplateLock.Release(); }
    }

    internal static async Task RunAsync(string exe, IEnumerable<string> args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{exe} {string.Join(' ', args)} exited {p.ExitCode}: {await stderr}{await stdout}");
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}

/// <summary>One local mariadbd: start, stop (clean shutdown), kill (SIGKILL), pause/resume (SIGSTOP/SIGCONT, a network blip for everyone).</summary>
public sealed class LocalMariaDbNode(string mariadbd, string name, int serverId, string dataDir, int port, bool semiSync, bool logBin = true)
{
    public static readonly string[] StorageOptions = ["--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M"];

    private Process? _process;

    public string Name { get; } = name;
    public int ServerId { get; } = serverId;
    public string DataDir { get; } = dataDir;
    public int Port { get; } = port;
    public string Socket => Path.Combine(DataDir, "s.sock");
    public string PidFile => Path.Combine(DataDir, "mariadbd.pid");
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;
    public bool IsRunning => Pid is not null;
    public DbEndpoint Endpoint => new(Name, "127.0.0.1", Port);

    public string ConnectionString(string user = LocalMariaDbCluster.AdminUser, string password = LocalMariaDbCluster.AdminPassword, string? database = null) =>
        new MySqlConnectionStringBuilder
        {
            Server = "127.0.0.1", Port = (uint)Port, UserID = user, Password = password, Database = database ?? "",
            Pooling = false, ConnectionTimeout = 2, DefaultCommandTimeout = 30,
        }.ConnectionString;

    public async Task StartAsync(CancellationToken ct, bool asRootOverSocket = false)
    {
        if (IsRunning) throw new InvalidOperationException($"{Name} is already running.");
        var psi = new ProcessStartInfo(mariadbd) { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] args =
        [
            "--no-defaults", "--user=root", $"--datadir={DataDir}", $"--port={Port}", "--bind-address=127.0.0.1",
            "--skip-name-resolve", $"--socket={Socket}", $"--pid-file={PidFile}", $"--log-error={DataDir}/error.log",
            $"--relay-log={DataDir}/relay-bin", $"--server-id={ServerId}", "--binlog-format=ROW",
            "--gtid-strict-mode=1", "--performance-schema=OFF", "--skip-innodb-use-native-aio", .. StorageOptions,
        ];
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (logBin) foreach (var a in new[] { $"--log-bin={DataDir}/binlog", "--log-slave-updates", "--sync-binlog=1" }) psi.ArgumentList.Add(a);
        if (semiSync)
            // Every node can be a semi-sync replica; only the primary (node 1 at start) waits for acknowledgements.
            foreach (var a in new[] { $"--rpl-semi-sync-master-enabled={(ServerId == 1 ? "ON" : "OFF")}", "--rpl-semi-sync-slave-enabled=ON", "--rpl-semi-sync-master-timeout=10000", "--rpl-semi-sync-master-wait-point=AFTER_SYNC" })
                psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready means a real query answers, not that the port is open.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name}: mariadbd exited with {_process.ExitCode}: {ErrorLogTail()}");
            try
            {
                await using var c = asRootOverSocket ? await OpenRootAsync(ct) : await OpenAsync(ct);
                await using var cmd = new MySqlCommand("SELECT 1", c);
                await cmd.ExecuteScalarAsync(ct);
                return;
            }
            catch (MySqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, ct);
            }
        }
    }

    public async Task<MySqlConnection> OpenAsync(CancellationToken ct, string? database = null)
    {
        var c = new MySqlConnection(ConnectionString(database: database));
        await c.OpenAsync(ct);
        return c;
    }

    internal async Task<MySqlConnection> OpenRootAsync(CancellationToken ct)
    {
        var c = new MySqlConnection(new MySqlConnectionStringBuilder
        {
            Server = Socket, ConnectionProtocol = MySqlConnectionProtocol.UnixSocket, UserID = "root", Pooling = false,
        }.ConnectionString);
        await c.OpenAsync(ct);
        return c;
    }

    public async Task<object?> ScalarAsync(string sql, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = new MySqlCommand(sql, c);
        return await cmd.ExecuteScalarAsync(ct);
    }

    public async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = new MySqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Points this node at <paramref name="source"/> the way the deploy does: GTID slave_pos, read-only.</summary>
    public Task ReplicateFromAsync(LocalMariaDbNode source, CancellationToken ct) =>
        ExecuteAsync(
            $"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={source.Port}, MASTER_USER='{LocalMariaDbCluster.ReplUser}', " +
            $"MASTER_PASSWORD='{LocalMariaDbCluster.ReplPassword}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1; " +
            "START SLAVE; SET GLOBAL read_only = ON", ct);

    public async Task WaitUntilReplicatingAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using (var c = await OpenAsync(ct))
            await using (var cmd = new MySqlCommand("SHOW SLAVE STATUS", c))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                if (await r.ReadAsync(ct) && (string)r["Slave_IO_Running"] == "Yes" && (string)r["Slave_SQL_Running"] == "Yes") return;
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"{Name} is not replicating: {(r.HasRows ? r["Last_IO_Error"] + " " + r["Last_SQL_Error"] : "no replication configured")}");
            }
            await Task.Delay(50, ct);
        }
    }

    /// <summary>Waits until this node has applied <paramref name="position"/> (a GTID list).</summary>
    public async Task WaitForGtidAsync(string position, CancellationToken ct)
    {
        var result = await ScalarAsync($"SELECT MASTER_GTID_WAIT('{position}', 30)", ct);
        if (Convert.ToInt64(result) != 0) throw new TimeoutException($"{Name} did not reach GTID {position} within 30 s.");
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash or an OOM kill.</summary>
    public void Kill()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    /// <summary>Clean shutdown.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        if (_process is null || _process.HasExited) return;
        ProcessSignals.Send(_process.Id, ProcessSignals.SigTerm);
        await _process.WaitForExitAsync(ct);
        _process.Dispose();
        _process = null;
    }

    public async Task RestartAsync(CancellationToken ct)
    {
        await StopAsync(ct);
        await StartAsync(ct);
    }

    /// <summary>SIGSTOP: the process stops answering while its connections stay open (a network blip seen by every peer).</summary>
    public void Pause() => ProcessSignals.Send(Pid ?? throw new InvalidOperationException($"{Name} is not running."), ProcessSignals.SigStop);

    public void Resume() => ProcessSignals.Send(Pid ?? throw new InvalidOperationException($"{Name} is not running."), ProcessSignals.SigCont);

    private string ErrorLogTail()
    {
        var log = Path.Combine(DataDir, "error.log");
        return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(15)) : "(no error log)";
    }
}
