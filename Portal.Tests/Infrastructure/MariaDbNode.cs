using System.Diagnostics;
using MySqlConnector;

namespace HaPortal.Tests.Infrastructure;

/// <summary>
/// One throwaway mariadbd in a temp folder, on a loopback port, with binary logging and GTIDs on so it can be a
/// primary or a replica. Can be stopped cleanly, killed (a crash, for failover tests) and started again on the
/// same data.
/// </summary>
public sealed class MariaDbNode : IAsyncDisposable
{
    private Process? _process;

    internal MariaDbNode(string name, int serverId, string folder)
    {
        Name = name;
        ServerId = serverId;
        Folder = folder;
        Port = FreePort.Next();
    }

    public string Name { get; }
    public int ServerId { get; }
    public int Port { get; }
    public string Folder { get; }
    public string DataDir => Path.Combine(Folder, "data");
    public string Socket => Path.Combine(Folder, "mysqld.sock");
    public string ErrorLog => Path.Combine(Folder, "error.log");
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>root over the unix socket: for setting things up, never for the code under test.</summary>
    public string AdminConnectionString => new MySqlConnectionStringBuilder
    {
        Server = Socket, ConnectionProtocol = MySqlConnectionProtocol.UnixSocket, UserID = "root", Pooling = false,
        ConnectionTimeout = 5,
    }.ConnectionString;

    /// <summary>A TCP connection string to this node, as an application would use it.</summary>
    public string ConnectionString(string user, string password, string? database = null) => new MySqlConnectionStringBuilder
    {
        Server = "127.0.0.1", Port = (uint)Port, UserID = user, Password = password, Database = database ?? "",
        ConnectionTimeout = 5,
    }.ConnectionString;

    internal async Task InstallAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(DataDir);
        var install = Prerequisite.RequireExecutable("mariadb-install-db");
        // --user=root: the tests may run as root, and mariadbd refuses root unless told so.
        await RunToEndAsync(install, ["--no-defaults", "--user=root", $"--datadir={DataDir}",
            "--auth-root-authentication-method=normal", "--skip-test-db"], ct);
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        if (IsRunning) return;
        var info = new ProcessStartInfo(Prerequisite.RequireExecutable("mariadbd"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in (string[])[
            "--no-defaults", "--user=root", $"--datadir={DataDir}", $"--port={Port}", "--bind-address=127.0.0.1",
            "--skip-name-resolve", $"--socket={Socket}", $"--pid-file={Path.Combine(Folder, "mysqld.pid")}",
            $"--log-error={ErrorLog}", $"--relay-log={Path.Combine(DataDir, "relay-bin")}", $"--server-id={ServerId}",
            "--log-bin", "--binlog-format=ROW", "--log-slave-updates", "--gtid-strict-mode=1",
            // Small and quick: a test database, not a production one.
            "--innodb-buffer-pool-size=32M", "--performance-schema=OFF", "--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0",
            $"--report-host={Name}", "--max-connections=300"])
            info.ArgumentList.Add(arg);
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitReadyAsync(ct);
    }

    // Ready means a real query answers, not that the port is open.
    private async Task WaitReadyAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"mariadbd {Name} exited with {_process.ExitCode}:\n{TailOfErrorLog()}");
            try
            {
                await QueryScalarAsync("SELECT 1", ct);
                return;
            }
            catch (MySqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    /// <summary>A clean shutdown (SHUTDOWN), waiting for the process to exit.</summary>
    public async Task StopAsync()
    {
        if (!IsRunning) return;
        try { await ExecuteAsync("SHUTDOWN"); } catch (MySqlException) { }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await _process!.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { Kill(); }
    }

    /// <summary>SIGKILL: the server dies as in a crash, mid-whatever it was doing.</summary>
    public void Kill()
    {
        if (!IsRunning) return;
        _process!.Kill();
        _process.WaitForExit();
    }

    public async Task ExecuteAsync(string sql, CancellationToken ct = default)
    {
        await using var connection = new MySqlConnection(AdminConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<object?> QueryScalarAsync(string sql, CancellationToken ct = default)
    {
        await using var connection = new MySqlConnection(AdminConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new MySqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    public string TailOfErrorLog() =>
        File.Exists(ErrorLog) ? string.Join('\n', File.ReadLines(ErrorLog).TakeLast(30)) : "(no error log)";

    private static async Task RunToEndAsync(string file, string[] args, CancellationToken ct)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed with {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        if (IsRunning)
        {
            // Tests are done with it: no need for a clean shutdown.
            Kill();
        }
        _process?.Dispose();
        await Task.CompletedTask;
    }
}
