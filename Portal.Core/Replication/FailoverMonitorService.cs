using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HaPortal.Core.Replication;

/// <summary>
/// Runs a <see cref="FailoverMonitor"/> for every stored topology whose <c>database.autoFailover.enabled</c> is on,
/// inside the admin host. Every <see cref="SweepInterval"/> it reads the stored topologies: it starts a monitor when the
/// flag is turned on, stops it when turned off, and rebuilds it when a new revision is stored (a switchover, a
/// failover or an edit changes the primary or the settings), carrying the last failover over so the anti-flap window
/// holds. Decisions go to <see cref="MonitorDecisionLog"/>; a topology that cannot be watched says why there too.
/// </summary>
public sealed partial class FailoverMonitorService(
    TopologyStore store, IReplicationResolver resolver, MonitorDecisionLog decisions, TimeProvider time, ILoggerFactory loggers) : BackgroundService
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(5);

    /// <summary>Who the audit log names for an automatic failover.</summary>
    public static readonly Actor MonitorActor = new("system:failover-monitor", new HashSet<string> { Roles.Operator });

    private readonly ILogger _log = loggers.CreateLogger<FailoverMonitorService>();
    private readonly Dictionary<string, Watch> _watches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _unwatchable = new(StringComparer.Ordinal);

    private sealed record Watch(int Revision, FailoverMonitor Monitor, CancellationTokenSource Stop, Task Loop);

    /// <summary>Topologies watched now (for the page and tests).</summary>
    public IReadOnlyCollection<string> Watched { get { lock (_watches) return [.. _watches.Keys]; } }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, time);
        try
        {
            do
            {
                try { await SweepAsync(stoppingToken).ConfigureAwait(false); }
                catch (Exception e) when (e is not OperationCanceledException) { LogSweepFailed(_log, e); }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    /// <summary>Stops the sweep, then every monitor it started.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        List<Watch> all;
        lock (_watches) { all = [.. _watches.Values]; _watches.Clear(); }
        foreach (var w in all) await StopAsync(w).ConfigureAwait(false);
    }

    /// <summary>One pass over the stored topologies: start, rebuild or stop monitors to match their flags.</summary>
    public async Task SweepAsync(CancellationToken ct)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var summary in await store.ListAsync(ct).ConfigureAwait(false))
        {
            var stored = await store.GetAsync(summary.Name, ct: ct).ConfigureAwait(false);
            if (stored is null || !stored.Spec.Database.AutoFailover.Enabled) continue;
            wanted.Add(summary.Name);
            Watch? current;
            lock (_watches) _watches.TryGetValue(summary.Name, out current);
            if (current?.Revision == stored.Revision.Number) continue;
            if (current is null && _unwatchable.GetValueOrDefault(summary.Name) == stored.Revision.Number) continue;

            var target = await resolver.ResolveAsync(summary.Name, ct).ConfigureAwait(false);
            if (target.Cluster is null || target.Operations is null || target.Control is null)
            {
                if (current is not null) await RemoveAsync(summary.Name).ConfigureAwait(false);
                _unwatchable[summary.Name] = stored.Revision.Number;
                decisions.Add(new(time.GetUtcNow(), summary.Name, stored.Spec.Database.Primary?.Name ?? "", MonitorVerdict.NoFailover,
                    ["automatic failover is on but the topology cannot be watched: " + string.Join("; ", target.Problems.Select(p => $"{p.Field}: {p.Message}"))]));
                continue;
            }
            _unwatchable.Remove(summary.Name);
            var last = current?.Monitor.LastFailover;
            if (current is not null) await RemoveAsync(summary.Name).ConfigureAwait(false);
            Start(summary.Name, stored.Revision.Number, target, OptionsOf(stored.Spec.Database.AutoFailover), last);
        }
        List<string> gone;
        lock (_watches) gone = _watches.Keys.Where(k => !wanted.Contains(k)).ToList();
        foreach (var name in gone) await RemoveAsync(name).ConfigureAwait(false);
        foreach (var name in _unwatchable.Keys.Where(k => !wanted.Contains(k)).ToList()) _unwatchable.Remove(name);
    }

    public static FailoverMonitorOptions OptionsOf(AutoFailoverSpec spec) => new()
    {
        Enabled = spec.Enabled,
        FailuresBeforeAction = spec.Checks,
        CheckInterval = TimeSpan.FromMilliseconds(spec.IntervalMs),
        AntiFlapWindow = TimeSpan.FromSeconds(spec.AntiFlapWindowSeconds),
    };

    private void Start(string topology, int revision, ReplicationTarget target, FailoverMonitorOptions options, DateTimeOffset? lastFailover)
    {
        var monitor = new FailoverMonitor(target.Cluster!, new ReplicationControlProbe(target.Control!), target.Control!, target.Operations!,
            time, options, MonitorActor, loggers.CreateLogger<FailoverMonitor>()) { LastFailover = lastFailover };
        monitor.Decided += decisions.Add;
        var stop = new CancellationTokenSource();
        var loop = Task.Run(() => monitor.RunAsync(stop.Token), CancellationToken.None);
        lock (_watches) _watches[topology] = new(revision, monitor, stop, loop);
        LogWatching(_log, topology, revision, target.Cluster!.ExpectedPrimary);
    }

    private async Task RemoveAsync(string topology)
    {
        Watch? w;
        lock (_watches)
        {
            if (!_watches.Remove(topology, out w)) return;
        }
        await StopAsync(w).ConfigureAwait(false);
    }

    private static async Task StopAsync(Watch w)
    {
        await w.Stop.CancelAsync().ConfigureAwait(false);
        await w.Loop.ConfigureAwait(false);
        w.Stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Failover monitor watches {Topology} (revision {Revision}, primary {Primary})")]
    private static partial void LogWatching(ILogger logger, string topology, int revision, string primary);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failover monitor service: a sweep over the stored topologies failed")]
    private static partial void LogSweepFailed(ILogger logger, Exception e);
}
