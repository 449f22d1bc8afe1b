using MySqlConnector;

namespace HaPortal.Tests.Infrastructure;

/// <summary>
/// A primary and N replicas of throwaway mariadbd instances replicating with GTIDs (Debian's mariadb-server), as
/// DESIGN.md describes. Replicas are read_only. An application user <see cref="AppUser"/> may use every schema
/// whose name starts with "app", so each test can take a fresh schema. Delete the folder tree on dispose.
/// </summary>
public sealed class MariaDbCluster : IAsyncDisposable
{
    public const string AppUser = "app";
    public const string AppPassword = "app-test-password";
    public const string ReplicationUser = "repl";
    private const string ReplicationPassword = "repl-test-password";

    private MariaDbCluster(string folder, MariaDbNode primary, IReadOnlyList<MariaDbNode> replicas)
    {
        Folder = folder;
        Primary = primary;
        Replicas = replicas;
    }

    public string Folder { get; }
    public MariaDbNode Primary { get; }
    public IReadOnlyList<MariaDbNode> Replicas { get; }
    public IEnumerable<MariaDbNode> Nodes => Replicas.Prepend(Primary);

    /// <summary>The application's connection string to <paramref name="node"/>, for schema <paramref name="schema"/>.</summary>
    public static string AppConnectionString(MariaDbNode node, string schema) => node.ConnectionString(AppUser, AppPassword, schema);

    /// <summary>A fresh schema name the application user may create and use.</summary>
    public static string NewSchemaName() => "app_" + Guid.NewGuid().ToString("N")[..10];

    public static async Task<MariaDbCluster> StartAsync(int replicas = 1, CancellationToken ct = default)
    {
        Prerequisite.RequireExecutable("mariadbd");
        Prerequisite.RequireExecutable("mariadb-install-db");
        var folder = Path.Combine(Path.GetTempPath(), "haportal-mariadb-" + Guid.NewGuid().ToString("N")[..8]);
        var nodes = Enumerable.Range(1, replicas + 1).Select(i => new MariaDbNode($"db{i}", i, Path.Combine(folder, $"db{i}"))).ToList();
        var cluster = new MariaDbCluster(folder, nodes[0], nodes.Skip(1).ToList());
        try
        {
            await Task.WhenAll(nodes.Select(n => n.InstallAsync(ct)));
            await Task.WhenAll(nodes.Select(n => n.StartAsync(ct)));
            foreach (var node in nodes)
                // Anonymous users would shadow repl@127.0.0.1 and app@127.0.0.1; local to each node, not replicated.
                await node.ExecuteAsync("SET sql_log_bin = 0; DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES; SET sql_log_bin = 1;", ct);

            await cluster.Primary.ExecuteAsync($"""
                CREATE USER '{ReplicationUser}'@'127.0.0.1' IDENTIFIED BY '{ReplicationPassword}';
                GRANT REPLICATION SLAVE, REPLICATION SLAVE ADMIN, BINLOG MONITOR ON *.* TO '{ReplicationUser}'@'127.0.0.1';
                CREATE USER '{AppUser}'@'127.0.0.1' IDENTIFIED BY '{AppPassword}';
                GRANT ALL PRIVILEGES ON `app%`.* TO '{AppUser}'@'127.0.0.1';
                """, ct);
            foreach (var replica in cluster.Replicas)
                await cluster.StartReplicatingAsync(replica, cluster.Primary, ct);
            foreach (var replica in cluster.Replicas)
                await cluster.WaitForReplicaAsync(replica, ct: ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Points <paramref name="replica"/> at <paramref name="source"/> with GTID positioning and makes it read-only.</summary>
    public async Task StartReplicatingAsync(MariaDbNode replica, MariaDbNode source, CancellationToken ct = default) =>
        await replica.ExecuteAsync($"""
            STOP SLAVE;
            CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {source.Port}, MASTER_USER = '{ReplicationUser}',
              MASTER_PASSWORD = '{ReplicationPassword}', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1;
            START SLAVE;
            SET GLOBAL read_only = ON;
            """, ct);

    /// <summary>Waits until <paramref name="replica"/> has applied everything the primary has logged so far.</summary>
    public async Task WaitForReplicaAsync(MariaDbNode replica, MariaDbNode? source = null, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var position = (string?)await (source ?? Primary).QueryScalarAsync("SELECT @@gtid_binlog_pos", ct) ?? "";
        var seconds = (int)(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds;
        var result = Convert.ToInt64(await replica.QueryScalarAsync($"SELECT MASTER_GTID_WAIT('{position}', {seconds})", ct));
        if (result != 0)
        {
            var status = await replica.QueryScalarAsync("SELECT CONCAT_WS(' ', @@gtid_slave_pos, @@gtid_current_pos)", ct);
            throw new TimeoutException($"Replica {replica.Name} did not reach GTID {position} within {seconds} s (at {status}).\n{replica.TailOfErrorLog()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes) await node.DisposeAsync();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
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
            return _cluster ??= await MariaDbCluster.StartAsync(replicas: 1);
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
