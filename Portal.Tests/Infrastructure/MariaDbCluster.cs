using System.Diagnostics;
using HaPortal.Core.Replication;
using MySqlConnector;

namespace HaPortal.Tests.Infrastructure;


/// <summary>
/// N throwaway local <c>mariadbd</c> processes replicating with GTIDs: node 1 the primary, the others read-only
/// replicas. Datadirs come from one template made once per test run with <c>mariadb-install-db</c> (users already
/// created: admin, repl, app), copied per node, so a fresh cluster costs a copy and N server starts.
/// Everything listens on 127.0.0.1 only. The one mariadbd fixture of the tests: replication tests operate it,
/// web-node tests take a fresh "app…" schema each (<see cref="NewSchemaName"/>), which the app user may use.
/// </summary>
public sealed class MariaDbCluster : IAsyncDisposable
{
    public const string AdminUser = "admin", AdminPassword = "admin-pw";
    public const string ReplUser = "repl", ReplPassword = "repl-pw";
    public const string AppUser = "app", AppPassword = "app-pw", AppSchema = "app";

    public static readonly ReplicationCredentials Credentials = new(AdminUser, AdminPassword, ReplUser, ReplPassword);

    private static readonly SemaphoreSlim TemplateLock = new(1, 1);
    private static string? _template;

    private readonly string _root;
    public IReadOnlyList<MariaDbNode> Nodes { get; }

    private MariaDbCluster(string root, IReadOnlyList<MariaDbNode> nodes) => (_root, Nodes) = (root, nodes);

    public MariaDbNode this[string name] => Nodes.Single(n => n.Name == name);

    /// <summary>The node started as primary (db1); replication tests that move the primary track it themselves.</summary>
    public MariaDbNode Primary => Nodes[0];
    public IReadOnlyList<MariaDbNode> Replicas => [.. Nodes.Skip(1)];

    /// <summary>The application's connection string to <paramref name="node"/>, for schema <paramref name="schema"/>.</summary>
    public static string AppConnectionString(MariaDbNode node, string schema) => node.ConnectionString(AppUser, AppPassword, schema);

    /// <summary>A fresh schema name the application user may create and use.</summary>
    public static string NewSchemaName() => "app_" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Waits until <paramref name="replica"/> has applied everything <paramref name="source"/> (the primary by default) has logged so far.</summary>
    public async Task WaitForReplicaAsync(MariaDbNode replica, MariaDbNode? source = null, CancellationToken ct = default)
    {
        var position = (string?)await (source ?? Primary).ScalarAsync("SELECT @@gtid_binlog_pos", ct) ?? "";
        await replica.WaitForGtidAsync(position, ct);
    }

    public IReadOnlyDictionary<string, DbEndpoint> Endpoints => Nodes.ToDictionary(n => n.Name, n => n.Endpoint);

    /// <summary>The accounts a portal process uses on these servers (its HAPORTAL_DB_* settings).</summary>
    public static readonly IReadOnlyDictionary<string, string> PortalAccounts = new Dictionary<string, string>
    {
        ["HAPORTAL_DB_ADMIN_USER"] = AdminUser, ["HAPORTAL_DB_ADMIN_PASSWORD"] = AdminPassword,
        ["HAPORTAL_DB_REPL_USER"] = ReplUser, ["HAPORTAL_DB_REPL_PASSWORD"] = ReplPassword,
        ["HAPORTAL_DB_APP_USER"] = AppUser, ["HAPORTAL_DB_APP_PASSWORD"] = AppPassword,
    };

    /// <summary>What a portal process needs to operate this cluster as <paramref name="topology"/>: accounts, endpoints, pid files.</summary>
    public Dictionary<string, string> PortalSettings(string topology)
    {
        var settings = new Dictionary<string, string>(PortalAccounts);
        foreach (var n in Nodes)
        {
            settings[$"Replication__Endpoints__{topology}__{n.Name}"] = $"127.0.0.1:{n.Port}";
            settings[$"Replication__PidFiles__{topology}__{n.Name}"] = n.PidFile;
        }
        return settings;
    }

    /// <summary>Starts <paramref name="count"/> nodes named db1..dbN; db1 is the primary, the rest replicate from it.</summary>
    public static async Task<MariaDbCluster> StartAsync(int count = 3, bool semiSync = false, CancellationToken ct = default)
    {
        var mariadbd = Prerequisite.RequireExecutable("mariadbd");
        var installDb = Prerequisite.RequireExecutable("mariadb-install-db");
        var template = await TemplateAsync(mariadbd, installDb, ct);
        var root = Directory.CreateTempSubdirectory("hp-repl-").FullName;
        var nodes = Enumerable.Range(1, count)
            .Select(i => new MariaDbNode(mariadbd, $"db{i}", i, Path.Combine(root, $"db{i}"), FreePort.Next(), semiSync))
            .ToList();
        var cluster = new MariaDbCluster(root, nodes);
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
                "--skip-test-db", .. MariaDbNode.StorageOptions], ct);
            // Users are created once here, with the binary log off, so they are not part of any node's GTID history.
            var node = new MariaDbNode(mariadbd, "template", 99, data, FreePort.Next(), false, logBin: false);
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
                    // `app%`: the app schema and every fresh test schema (NewSchemaName).
                    $"GRANT ALL ON `{AppSchema}%`.* TO '{AppUser}'@'127.0.0.1'",
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


/// <summary>
/// A primary and one replica shared by a test collection. Started on first use, so a machine without mariadbd
/// skips (or, in CI, fails) each test with the reason rather than failing the collection.
/// </summary>
public sealed class MariaDbPairFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private MariaDbCluster? _cluster;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async Task<MariaDbCluster> GetAsync()
    {
        Prerequisite.RequireExecutable("mariadbd");
        await _gate.WaitAsync();
        try
        {
            return _cluster ??= await MariaDbCluster.StartAsync(2);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _gate.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class MariaDbPairCollection : ICollectionFixture<MariaDbPairFixture>
{
    public const string Name = "mariadb-pair";
}
