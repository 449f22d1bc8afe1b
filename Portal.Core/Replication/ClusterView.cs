using System.Collections.Immutable;

namespace HaPortal.Core.Replication;

/// <summary>Every node of a cluster read at one moment, and how that differs from the stored topology (drift).</summary>
public sealed record ClusterView(ReplicationCluster Cluster, ImmutableArray<NodeStatus> Nodes, DateTimeOffset At)
{
    public NodeStatus this[string name] => Nodes.Single(n => n.Name == name);

    /// <summary>Reachable nodes that accept writes and replicate from nobody.</summary>
    public IReadOnlyList<NodeStatus> Writers => Nodes.Where(n => n.Role == ObservedRole.Primary).ToList();

    /// <summary>The node a replica's source host:port points at, or null when no node of the cluster listens there.</summary>
    public string? SourceOf(NodeStatus replica) => replica.Replica is not { } r ? null
        : Cluster.Nodes.FirstOrDefault(n => n.Endpoint.SourceHost == r.SourceHost && n.Endpoint.SourcePort == r.SourcePort)?.Name;

    /// <summary>Differences between what the servers say and what the stored topology says, one sentence each.</summary>
    public IReadOnlyList<string> Drift()
    {
        var drift = new List<string>();
        var expected = Cluster.ExpectedPrimary;
        var writers = Writers.Select(w => w.Name).ToList();
        if (writers.Count > 1) drift.Add($"More than one writable node: {string.Join(", ", writers)}.");
        if (writers.Count == 0) drift.Add("No reachable node accepts writes.");
        if (writers.Count == 1 && writers[0] != expected) drift.Add($"The stored topology names {expected} as primary, but {writers[0]} is the writable node.");
        foreach (var n in Nodes)
        {
            if (!n.Reachable) { drift.Add($"{n.Name} is unreachable: {n.Error}"); continue; }
            if (n.Name == expected) continue;
            if (n.Replica is not { } r)
            {
                if (n.ReadOnly) drift.Add($"{n.Name} should replicate from {expected} but has no replication configured.");
                continue;
            }
            var source = SourceOf(n);
            if (source != expected) drift.Add($"{n.Name} replicates from {source ?? $"{r.SourceHost}:{r.SourcePort}"}, not from the primary {expected}.");
            if (!r.IoOk) drift.Add($"{n.Name}: IO thread {r.IoRunning}{(r.LastIoError.Length > 0 ? $" ({r.LastIoError})" : "")}.");
            if (!r.SqlOk) drift.Add($"{n.Name}: SQL thread {r.SqlRunning}{(r.LastSqlError.Length > 0 ? $" ({r.LastSqlError})" : "")}.");
            if (!n.ReadOnly) drift.Add($"{n.Name} is a replica but read_only is OFF.");
        }
        return drift;
    }
}

/// <summary>Reads all nodes of a cluster in parallel.</summary>
public sealed class ReplicationStatus(IReplicationControl control, TimeProvider time)
{
    public async Task<ClusterView> ReadAsync(ReplicationCluster cluster, CancellationToken ct)
    {
        var nodes = await Task.WhenAll(cluster.Nodes.Select(n => control.GetStatusAsync(n.Endpoint, ct))).ConfigureAwait(false);
        return new ClusterView(cluster, [.. nodes], time.GetUtcNow());
    }
}
