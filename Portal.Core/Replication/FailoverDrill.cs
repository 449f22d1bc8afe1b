using System.Collections.Concurrent;
using System.Collections.Immutable;
using HaPortal.Core.Security;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;

namespace HaPortal.Core.Replication;

public enum DrillKind { Switchover, Kill, Pause }

/// <summary>One moment of a drill, in milliseconds after the disruption (negative: before it).</summary>
public sealed record DrillEvent(string Step, double AtMs, string Detail);

/// <summary>What a drill measured. <see cref="UnavailableMs"/>: from the kill or pause (a switchover: from the old primary going read-only) to the first write accepted after it.</summary>
public sealed record DrillReport(
    string Topology, DrillKind Kind, bool Succeeded, string Summary, string OldPrimary, string? NewPrimary,
    double? UnavailableMs, int Acknowledged, int Lost, int Duplicated, int FailedWrites, ImmutableArray<DrillEvent> Timeline,
    ReplicationOperationResult? Operation);

/// <summary>Writes one row as the application would; throws when the write is not acknowledged.</summary>
public interface IDrillWriter
{
    Task PrepareAsync(CancellationToken ct);
    Task WriteAsync(string run, long id, CancellationToken ct);

    /// <summary>How many rows of <paramref name="run"/> the new primary holds per id.</summary>
    Task<IReadOnlyDictionary<long, int>> RowsAsync(DbEndpoint primary, string run, CancellationToken ct);
}

/// <summary>Takes the primary away: SIGKILL or SIGSTOP of a local process, a killed or paused container.</summary>
public interface IPrimaryDisruption
{
    Task<string> DisruptAsync(ClusterNode primary, DrillKind kind, CancellationToken ct);
}

/// <summary>
/// Drill writes over SQL as the application user (no SUPER, so read_only stops it) to whatever node
/// <paramref name="writer"/> names now: the no-router path, where clients follow the routing switch.
/// </summary>
public sealed class SqlDrillWriter(Func<DbEndpoint> writer, Func<DbEndpoint, string> appConnectionString, string schema) : IDrillWriter
{
    public const string Table = "haportal_drill";
    private MySqlConnection? _connection;
    private DbEndpoint? _connectedTo;

    public async Task PrepareAsync(CancellationToken ct)
    {
        await using var c = new MySqlConnection(appConnectionString(writer()));
        await c.OpenAsync(ct).ConfigureAwait(false);
        // Not unique on id: a write applied twice must show up as a duplicate, not be hidden by a key.
        await using var cmd = new MySqlCommand($"CREATE TABLE IF NOT EXISTS `{schema}`.{Table} (seq BIGINT AUTO_INCREMENT PRIMARY KEY, run CHAR(32) NOT NULL, id BIGINT NOT NULL, KEY (run, id))", c);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task WriteAsync(string run, long id, CancellationToken ct)
    {
        var target = writer();
        try
        {
            if (_connection is null || _connectedTo != target)
            {
                await DropAsync().ConfigureAwait(false);
                var c = new MySqlConnection(appConnectionString(target));
                await c.OpenAsync(ct).ConfigureAwait(false);
                (_connection, _connectedTo) = (c, target);
            }
            await using var cmd = new MySqlCommand($"INSERT INTO `{schema}`.{Table} (run, id) VALUES (@run, @id)", _connection);
            cmd.Parameters.AddWithValue("@run", run);
            cmd.Parameters.AddWithValue("@id", id);
            cmd.CommandTimeout = 5;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await DropAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<IReadOnlyDictionary<long, int>> RowsAsync(DbEndpoint primary, string run, CancellationToken ct)
    {
        await using var c = new MySqlConnection(appConnectionString(primary));
        await c.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = new MySqlCommand($"SELECT id, COUNT(*) FROM `{schema}`.{Table} WHERE run = @run GROUP BY id", c);
        cmd.Parameters.AddWithValue("@run", run);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new Dictionary<long, int>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) rows[r.GetInt64(0)] = Convert.ToInt32(r.GetValue(1));
        return rows;
    }

    private async Task DropAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
        (_connection, _connectedTo) = (null, null);
    }
}

/// <summary>Disrupts a local mariadbd by its pid file: SIGKILL (crash) or SIGSTOP (hung; stays stopped).</summary>
public sealed class LocalProcessDisruption(IReadOnlyDictionary<string, string> pidFiles) : IPrimaryDisruption
{
    public Task<string> DisruptAsync(ClusterNode primary, DrillKind kind, CancellationToken ct)
    {
        if (!pidFiles.TryGetValue(primary.Name, out var file) || !File.Exists(file) || !int.TryParse(File.ReadAllText(file).Trim(), out var pid))
            throw new InvalidOperationException($"no pid file with a pid for {primary.Name}");
        var signal = kind == DrillKind.Kill ? ProcessSignals.SigKill : ProcessSignals.SigStop;
        if (!ProcessSignals.Send(pid, signal)) throw new InvalidOperationException($"{primary.Name} (pid {pid}) is not running");
        return Task.FromResult($"{(kind == DrillKind.Kill ? "SIGKILL" : "SIGSTOP")} to mariadbd of {primary.Name} (pid {pid})");
    }
}

/// <summary>How long the drill writes before and at most after the disruption, and how the failure is detected.</summary>
public sealed record DrillOptions
{
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan AfterRecovery { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(60);
    public int MaxWrites { get; init; } = 100_000;

    /// <summary>Detection for kill/pause: the topology's automatic failover checks (an enabled monitor of its own).</summary>
    public FailoverMonitorOptions Detection { get; init; } = new() { Enabled = true, CheckInterval = TimeSpan.FromMilliseconds(250), FailuresBeforeAction = 3, AntiFlapWindow = TimeSpan.Zero };
}

/// <summary>
/// A failover drill: a bounded, sequential write load with every acknowledged write recorded by id; then a planned
/// switchover, or the primary killed or paused and found by a failover monitor that fails over; the load goes on until
/// the first write is accepted again (plus a little). Reports the timeline (disruption, detection, fencing, promotion,
/// routing switch, first accepted write) and compares the acknowledged ids with the new primary's rows: acknowledged
/// writes lost and rows duplicated.
/// </summary>
public sealed class FailoverDrill(ReplicationOperations operations, IReplicationControl control, IDrillWriter writer, IPrimaryDisruption? disruption, TimeProvider time, DrillOptions? options = null)
{
    private readonly DrillOptions _o = options ?? new();

    public async Task<DrillReport> RunAsync(ReplicationCluster cluster, DrillKind kind, Actor actor, CancellationToken ct)
    {
        actor.EnsureCanChange("run a failover drill");
        if (kind != DrillKind.Switchover && disruption is null)
            return Refused(cluster, kind, $"a {kind.ToString().ToLowerInvariant()} drill needs a way to disrupt the primary (pid files or a deployed container)");
        var view = await operations.StatusAsync(cluster, ct).ConfigureAwait(false);
        if (view.Drift().Count > 0)
            return Refused(cluster, kind, "the cluster is not healthy before the drill: " + string.Join("; ", view.Drift()));
        try { await writer.PrepareAsync(ct).ConfigureAwait(false); }
        catch (MySqlException e) { return Refused(cluster, kind, $"the drill table cannot be made as the application user: {e.Message}"); }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return Refused(cluster, kind, $"the drill's writes cannot start: {e.Message}");
        }

        var run = Guid.NewGuid().ToString("N");
        var acked = new ConcurrentQueue<(long Id, long Sent, long At)>();
        var failed = 0;
        var started = time.GetTimestamp();
        long? disruptedAt = null;
        // Writes sent before this moment may still be acknowledged by the old primary (in flight at the kill, or before
        // it went read-only), so "first write accepted" is the first acknowledged write sent after it.
        long acceptedFrom = 0;
        var disruptedWall = DateTimeOffset.MinValue;
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var load = Task.Run(async () =>
        {
            for (long id = 1; id <= _o.MaxWrites && !stopLoad.IsCancellationRequested && time.GetElapsedTime(started) < _o.MaxDuration; id++)
            {
                try
                {
                    var sent = time.GetTimestamp();
                    await writer.WriteAsync(run, id, stopLoad.Token).ConfigureAwait(false);
                    acked.Enqueue((id, sent, time.GetTimestamp()));
                }
                catch (OperationCanceledException) when (stopLoad.IsCancellationRequested)
                {
                    break; // the write in flight when the load stopped: neither acknowledged nor failed
                }
                catch (Exception e) when (e is not OperationCanceledException || !stopLoad.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failed);
                    await Task.Delay(TimeSpan.FromMilliseconds(5), time, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }, CancellationToken.None);

        var events = new List<(string Step, long At, string Detail)>();
        ReplicationOperationResult? result;
        var old = cluster.Get(cluster.ExpectedPrimary);
        try
        {
            await Task.Delay(_o.WarmUp, time, ct).ConfigureAwait(false);
            disruptedAt = time.GetTimestamp();
            disruptedWall = time.GetUtcNow();
            if (kind == DrillKind.Switchover)
            {
                var target = view.Nodes.Where(n => n.Name != old.Name && n.Reachable).Select(n => n.Name).First();
                events.Add(("switchover requested", disruptedAt.Value, $"{old.Name} → {target}"));
                result = await operations.SwitchoverAsync(cluster, target, actor, ct).ConfigureAwait(false);
                acceptedFrom = result.Timeline.Where(s => s.Step == "old primary read-only").Select(s => Stamp(s.At)).FirstOrDefault(disruptedAt.Value);
            }
            else
            {
                events.Add(("primary " + (kind == DrillKind.Kill ? "killed" : "paused"), disruptedAt.Value,
                    await disruption!.DisruptAsync(old, kind, ct).ConfigureAwait(false)));
                acceptedFrom = time.GetTimestamp();
                result = await DetectAndFailOverAsync(cluster, actor, events, ct).ConfigureAwait(false);
            }
            if (result is not null)
                foreach (var step in result.Timeline.Where(s => s.Step is "fenced" or "promoted" or "routing" or "old primary read-only"))
                    events.Add((step.Step == "routing" ? "routing switched" : step.Step, Stamp(step.At), step.Detail));

            // Writes go on until one is accepted after the disruption, then a little longer (in-flight retries settle).
            while (!load.IsCompleted && !acked.Any(a => a.Sent >= acceptedFrom)) await Task.Delay(TimeSpan.FromMilliseconds(10), time, ct).ConfigureAwait(false);
            await Task.WhenAny(load, Task.Delay(_o.AfterRecovery, time, ct)).ConfigureAwait(false);
        }
        finally
        {
            await stopLoad.CancelAsync().ConfigureAwait(false);
            await load.ConfigureAwait(false);
        }

        var ackList = acked.ToList();
        var firstAfter = ackList.Where(a => a.Sent >= acceptedFrom).Select(a => (long?)a.At).FirstOrDefault();
        if (firstAfter is { } f) events.Add(("first write accepted", f, $"write #{ackList.First(a => a.At == f).Id}"));
        var newPrimary = result?.Succeeded == true ? result.NewPrimary : null;
        var lost = 0;
        var duplicated = 0;
        if (newPrimary is not null)
        {
            var rows = await writer.RowsAsync(cluster.Get(newPrimary).Endpoint, run, ct).ConfigureAwait(false);
            lost = ackList.Count(a => !rows.ContainsKey(a.Id));
            duplicated = rows.Values.Sum(c => Math.Max(0, c - 1));
        }
        // A switchover stops writes when the old primary goes read-only; a kill or pause at the disruption.
        var outageFrom = kind == DrillKind.Switchover ? acceptedFrom : disruptedAt!.Value;
        double? unavailable = firstAfter is { } fa ? Ms(outageFrom, fa) : null;
        var timeline = events.OrderBy(e => e.At).Select(e => new DrillEvent(e.Step, Math.Round(Ms(disruptedAt!.Value, e.At), 1), e.Detail)).ToImmutableArray();
        var succeeded = newPrimary is not null && unavailable is not null && lost == 0 && duplicated == 0;
        var summary = newPrimary is null
            ? $"{kind} drill: no new primary ({result?.Summary ?? "no failover decided"})"
            : $"{kind} drill: {old.Name} → {newPrimary}; writes unavailable {(unavailable is { } u ? $"{u / 1000:0.000} s" : "until the end")}, " +
              $"{ackList.Count} acknowledged, {lost} lost, {duplicated} duplicated, {failed} failed attempts";
        return new(cluster.Topology, kind, succeeded, summary, old.Name, newPrimary, unavailable, ackList.Count, lost, duplicated, failed, timeline, result);

        // Operation steps carry wall-clock times; place them on the load's timestamp scale through the disruption moment.
        long Stamp(DateTimeOffset at) => disruptedAt!.Value + (long)((at - disruptedWall).TotalSeconds * time.TimestampFrequency);
    }

    private async Task<ReplicationOperationResult?> DetectAndFailOverAsync(ReplicationCluster cluster, Actor actor, List<(string, long, string)> events, CancellationToken ct)
    {
        var monitor = new FailoverMonitor(cluster, new ReplicationControlProbe(control), control, operations, time, _o.Detection, actor, NullLogger<FailoverMonitor>.Instance);
        var deadline = time.GetTimestamp();
        var detected = false;
        while (time.GetElapsedTime(deadline) < _o.MaxDuration)
        {
            var d = await monitor.CheckOnceAsync(ct).ConfigureAwait(false);
            if (d is { Verdict: MonitorVerdict.Suspect } && !detected)
            {
                detected = true;
                events.Add(("detected", time.GetTimestamp(), d.Reasons[0]));
            }
            if (d is { Verdict: MonitorVerdict.FailedOver or MonitorVerdict.FailoverRefused }) return d.Failover;
            await Task.Delay(_o.Detection.CheckInterval, time, ct).ConfigureAwait(false);
        }
        return null;
    }

    private static DrillReport Refused(ReplicationCluster cluster, DrillKind kind, string why) =>
        new(cluster.Topology, kind, false, why, cluster.ExpectedPrimary, null, null, 0, 0, 0, 0, [], null);

    private double Ms(long from, long to) => (to - from) * 1000.0 / time.TimestampFrequency;
}
