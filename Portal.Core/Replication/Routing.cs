using System.Collections.Concurrent;

namespace HaPortal.Core.Replication;

public sealed record RoutingResult(bool Ok, string Detail);

/// <summary>Moves the application's writes to a new primary (ProxySQL writer hostgroup, or nothing when there is no router).</summary>
public interface IRoutingSwitch
{
    Task<RoutingResult> MoveWriterAsync(ReplicationCluster cluster, ClusterNode oldPrimary, ClusterNode newPrimary, CancellationToken ct);
}

/// <summary>
/// For stacks without a SQL router: clients connect to the primary named by the stored topology, so moving the writer
/// is recording it. <see cref="WriterOf"/> is what a client asks; <see cref="WriterMoved"/> tells it at once.
/// </summary>
public sealed class NoRouterSwitch : IRoutingSwitch
{
    private readonly ConcurrentDictionary<string, ClusterNode> _writers = new(StringComparer.Ordinal);

    public event Action<string, ClusterNode>? WriterMoved;

    public ClusterNode? WriterOf(string topology) => _writers.GetValueOrDefault(topology);

    public Task<RoutingResult> MoveWriterAsync(ReplicationCluster cluster, ClusterNode oldPrimary, ClusterNode newPrimary, CancellationToken ct)
    {
        _writers[cluster.Topology] = newPrimary;
        WriterMoved?.Invoke(cluster.Topology, newPrimary);
        return Task.FromResult(new RoutingResult(true, $"no SQL router: writers follow the stored topology, now {newPrimary.Name} (was {oldPrimary.Name})"));
    }
}
