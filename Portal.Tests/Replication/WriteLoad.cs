using HaPortal.Tests.Infrastructure;
using System.Collections.Concurrent;
using System.Diagnostics;
using MySqlConnector;

namespace HaPortal.Tests.Replication;

/// <summary>
/// A bounded write load as the application would send it: the app user (no SUPER, so read_only stops it) inserts one
/// row per statement into the node that routing currently names as writer; each acknowledged insert is recorded with
/// the time it was acknowledged, so a test can count acknowledged writes lost and measure the longest write gap.
/// </summary>
public sealed class WriteLoad(Func<MariaDbNode> writer, string table = "app.w")
{
    private readonly ConcurrentQueue<(long Id, long At)> _acked = new();
    private long _next;

    public IReadOnlyList<(long Id, long At)> Acked => [.. _acked];
    public int Failures { get; private set; }

    public static async Task CreateTableAsync(MariaDbNode primary, string table = "app.w", CancellationToken ct = default) =>
        await primary.ExecuteAsync($"CREATE TABLE {table} (id BIGINT PRIMARY KEY, payload VARCHAR(64) NOT NULL)", ct);

    public async Task RunAsync(CancellationToken stop)
    {
        MySqlConnection? c = null;
        MariaDbNode? connectedTo = null;
        while (!stop.IsCancellationRequested)
        {
            var target = writer();
            try
            {
                if (c is null || connectedTo != target)
                {
                    if (c is not null) await c.DisposeAsync();
                    c = null;
                    var fresh = new MySqlConnection(target.ConnectionString(MariaDbCluster.AppUser, MariaDbCluster.AppPassword, MariaDbCluster.AppSchema));
                    await fresh.OpenAsync(CancellationToken.None);
                    (c, connectedTo) = (fresh, target);
                }
                var id = Interlocked.Increment(ref _next);
                await using var cmd = new MySqlCommand($"INSERT INTO {table} (id, payload) VALUES ({id}, 'w{id}')", c);
                await cmd.ExecuteNonQueryAsync(CancellationToken.None);
                _acked.Enqueue((id, Stopwatch.GetTimestamp()));
            }
            catch (Exception e) when (e is MySqlException or InvalidOperationException or IOException)
            {
                Failures++;
                if (c is not null) await c.DisposeAsync();
                c = null;
                await Task.Delay(5, CancellationToken.None);
            }
        }
        if (c is not null) await c.DisposeAsync();
    }

    /// <summary>The longest time between two consecutive acknowledged writes: how long writes were unavailable.</summary>
    public TimeSpan LongestGap()
    {
        var acked = Acked.OrderBy(a => a.At).ToList();
        return acked.Count < 2 ? TimeSpan.Zero
            : acked.Zip(acked.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a.At, b.At)).Max();
    }
}
