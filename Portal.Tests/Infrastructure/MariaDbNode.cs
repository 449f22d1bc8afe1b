using System.Diagnostics;
using HaPortal.Core.Replication;
using MySqlConnector;

namespace HaPortal.Tests.Infrastructure;

/// <summary>One local mariadbd: start, stop (clean shutdown), kill (SIGKILL), pause/resume (SIGSTOP/SIGCONT, a network blip for everyone).</summary>
public sealed class MariaDbNode(string mariadbd, string name, int serverId, string dataDir, int port, bool semiSync, bool logBin = true)
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

    public string ConnectionString(string user = MariaDbCluster.AdminUser, string password = MariaDbCluster.AdminPassword, string? database = null) =>
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
            "--gtid-strict-mode=1", "--performance-schema=OFF", "--max-connections=300", "--skip-innodb-use-native-aio", .. StorageOptions,
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
    public Task ReplicateFromAsync(MariaDbNode source, CancellationToken ct) =>
        ExecuteAsync(
            $"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={source.Port}, MASTER_USER='{MariaDbCluster.ReplUser}', " +
            $"MASTER_PASSWORD='{MariaDbCluster.ReplPassword}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1; " +
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
