using System.Collections.Concurrent;

namespace HaPortal.Core.Replication;

/// <summary>
/// The automatic failover monitors' decisions, newest last, per topology: what the replication page shows live.
/// A ring (the last <see cref="Capacity"/> per topology) in memory; the actions themselves are in the audit log.
/// </summary>
public sealed class MonitorDecisionLog
{
    public const int Capacity = 200;
    private readonly ConcurrentDictionary<string, LinkedList<MonitorDecision>> _byTopology = new(StringComparer.Ordinal);

    /// <summary>Raised after each decision is kept, on the monitor's task.</summary>
    public event Action<MonitorDecision>? Added;

    public void Add(MonitorDecision decision)
    {
        var list = _byTopology.GetOrAdd(decision.Topology, _ => new());
        lock (list)
        {
            list.AddLast(decision);
            if (list.Count > Capacity) list.RemoveFirst();
        }
        Added?.Invoke(decision);
    }

    public IReadOnlyList<MonitorDecision> Of(string topology)
    {
        if (!_byTopology.TryGetValue(topology, out var list)) return [];
        lock (list) return [.. list];
    }
}
