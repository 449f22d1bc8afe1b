using System.Collections.Immutable;
using HaPortal.Core.Security;
using Microsoft.Extensions.Logging;

namespace HaPortal.Core.Replication;

/// <summary>Automatic failover settings of one topology. Off by default: an operator turns it on per topology.</summary>
public sealed record FailoverMonitorOptions
{
    public bool Enabled { get; init; }
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive failed checks from the portal before the replicas are asked to confirm.</summary>
    public int FailuresBeforeAction { get; init; } = 3;

    /// <summary>After a failover, no other automatic failover for this long.</summary>
    public TimeSpan AntiFlapWindow { get; init; } = TimeSpan.FromMinutes(10);
}

public enum MonitorVerdict { Healthy, Suspect, NoFailover, FailedOver, FailoverRefused }

/// <summary>One decision of the monitor, with its reasons; "why not" decisions are kept like the others.</summary>
public sealed record MonitorDecision(DateTimeOffset At, string Topology, string Primary, MonitorVerdict Verdict, ImmutableArray<string> Reasons,
    ReplicationOperationResult? Failover = null);

/// <summary>How the portal checks the primary. Separate from the adapter so a blip between the portal and the primary can be simulated.</summary>
public interface IPrimaryProbe
{
    Task<NodeStatus> ProbeAsync(DbEndpoint primary, CancellationToken ct);
}

public sealed class ReplicationControlProbe(IReplicationControl control) : IPrimaryProbe
{
    public Task<NodeStatus> ProbeAsync(DbEndpoint primary, CancellationToken ct) => control.GetStatusAsync(primary, ct);
}

/// <summary>
/// Watches one topology's primary and fails over automatically when it is really gone: N consecutive failed checks
/// from the portal, confirmed by every reachable replica having lost it too (IO thread not running), outside the
/// anti-flap window, with fencing confirmed by the failover itself. Every decision, including each decision not to
/// act, is kept with its reasons and logged. Time comes from <see cref="TimeProvider"/>; tests call
/// <see cref="CheckOnceAsync"/> and advance a fake clock.
/// </summary>
public sealed partial class FailoverMonitor(
    ReplicationCluster cluster, IPrimaryProbe probe, IReplicationControl control, ReplicationOperations operations,
    TimeProvider time, FailoverMonitorOptions options, Actor actor, ILogger<FailoverMonitor> logger)
{
    private const int KeptDecisions = 500;
    private readonly Lock _gate = new();
    private readonly LinkedList<MonitorDecision> _decisions = new();
    private int _failures;
    private DateTimeOffset? _lastFailover;
    private GtidList _lastKnownPrimaryState = GtidList.Empty;

    public ReplicationCluster Cluster { get; private set; } = cluster;

    /// <summary>The last automatic failover; a monitor rebuilt for a new topology revision carries it over so the anti-flap window holds.</summary>
    public DateTimeOffset? LastFailover { get => _lastFailover; init => _lastFailover = value; }
    public FailoverMonitorOptions Options { get; } = options;

    /// <summary>Raised after each recorded decision (from the monitor's own task).</summary>
    public event Action<MonitorDecision>? Decided;

    public IReadOnlyList<MonitorDecision> Decisions
    {
        get { lock (_gate) return [.. _decisions]; }
    }

    /// <summary>Runs checks every <see cref="FailoverMonitorOptions.CheckInterval"/> until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Options.CheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try { await CheckOnceAsync(ct).ConfigureAwait(false); }
                catch (Exception e) when (e is not OperationCanceledException) { LogCheckFailed(logger, e, Cluster.Topology); }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>One check and its decision. Not re-entrant: the loop awaits each check before the next.</summary>
    public async Task<MonitorDecision?> CheckOnceAsync(CancellationToken ct)
    {
        var primary = Cluster.Get(Cluster.ExpectedPrimary);
        var status = await probe.ProbeAsync(primary.Endpoint, ct).ConfigureAwait(false);
        if (status.Reachable)
        {
            _lastKnownPrimaryState = GtidList.Parse(status.BinlogState);
            var recovered = _failures > 0;
            var failures = _failures;
            _failures = 0;
            return recovered ? Record(MonitorVerdict.Healthy, primary.Name, $"{primary.Name} answers again after {failures} failed checks") : null;
        }

        _failures++;
        if (_failures < Options.FailuresBeforeAction)
            return Record(MonitorVerdict.Suspect, primary.Name, $"{primary.Name} failed {_failures} of {Options.FailuresBeforeAction} consecutive checks: {status.Error}");

        var replicas = await Task.WhenAll(Cluster.Nodes.Where(n => n.Name != primary.Name)
            .Select(n => control.GetStatusAsync(n.Endpoint, ct))).ConfigureAwait(false);
        var stillSee = replicas.Where(r => r.Reachable && r.Replica is { IoOk: true }
            && r.Replica.SourceHost == primary.Endpoint.SourceHost && r.Replica.SourcePort == primary.Endpoint.SourcePort).ToList();
        var why = new List<string> { $"{primary.Name} failed {_failures} consecutive checks from the portal: {status.Error}" };
        if (stillSee.Count > 0)
            return Record(MonitorVerdict.NoFailover, primary.Name, [.. why,
                $"replicas still see the primary: {string.Join(", ", stillSee.Select(r => $"{r.Name} (IO thread running)"))}; the problem is between the portal and {primary.Name}"]);
        if (!replicas.Any(r => r.Reachable))
            return Record(MonitorVerdict.NoFailover, primary.Name, [.. why, "no replica is reachable to confirm the failure or to be promoted"]);
        why.Add($"confirmed by the replicas: {string.Join(", ", replicas.Where(r => r.Reachable).Select(r => $"{r.Name} IO thread {r.Replica?.IoRunning ?? "not configured"}{(r.Replica?.LastIoError is { Length: > 0 } e ? $" ({e})" : "")}"))}");

        if (!Options.Enabled)
            return Record(MonitorVerdict.NoFailover, primary.Name, [.. why, $"automatic failover is off for '{Cluster.Topology}'; fail over by hand"]);
        var now = time.GetUtcNow();
        if (_lastFailover is { } last && now - last < Options.AntiFlapWindow)
            return Record(MonitorVerdict.NoFailover, primary.Name, [.. why,
                $"within the anti-flap window: last automatic failover at {last:u}, next allowed after {last + Options.AntiFlapWindow:u}"]);

        var result = await operations.FailoverAsync(Cluster, actor, ct, _lastKnownPrimaryState).ConfigureAwait(false);
        if (!result.Succeeded)
            return Record(MonitorVerdict.FailoverRefused, primary.Name, [.. why, result.Summary], result);
        _lastFailover = now;
        _failures = 0;
        Cluster = Cluster with { ExpectedPrimary = result.NewPrimary! };
        return Record(MonitorVerdict.FailedOver, primary.Name, [.. why, result.Summary], result);
    }

    private MonitorDecision Record(MonitorVerdict verdict, string primary, params string[] reasons) => Record(verdict, primary, reasons, null);

    private MonitorDecision Record(MonitorVerdict verdict, string primary, string[] reasons, ReplicationOperationResult? failover)
    {
        var decision = new MonitorDecision(time.GetUtcNow(), Cluster.Topology, primary, verdict, [.. reasons], failover);
        lock (_gate)
        {
            _decisions.AddLast(decision);
            if (_decisions.Count > KeptDecisions) _decisions.RemoveFirst();
        }
        LogDecision(logger, Cluster.Topology, verdict, string.Join(" | ", reasons));
        Decided?.Invoke(decision);
        return decision;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failover monitor of {Topology}: {Verdict}: {Reasons}")]
    private static partial void LogDecision(ILogger logger, string topology, MonitorVerdict verdict, string reasons);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failover monitor of {Topology}: a check failed unexpectedly")]
    private static partial void LogCheckFailed(ILogger logger, Exception e, string topology);
}
