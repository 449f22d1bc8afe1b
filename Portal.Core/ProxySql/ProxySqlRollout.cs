namespace HaPortal.Core.ProxySql;

public enum NodeState { Applied, Failed, NotAttempted }

/// <summary>One node's part in a rollout; <see cref="Result"/> is null when the node was not attempted.</summary>
public sealed record NodeOutcome(string Node, NodeState State, NodeChangeResult? Result)
{
    public override string ToString() => State == NodeState.NotAttempted ? $"{Node}: not attempted (canary failed)" : Result!.ToString();
}

public sealed record RolloutResult(IReadOnlyList<NodeOutcome> Nodes)
{
    public bool Succeeded => Nodes.All(n => n.State == NodeState.Applied);
    public bool CanaryFailed => Nodes.Count > 0 && Nodes[0].State == NodeState.Failed;
    public IEnumerable<string> Unfinished => Nodes.Where(n => n.State != NodeState.Applied).Select(n => n.Node);
}

/// <summary>
/// A change across several ProxySQL nodes: the first node is the canary; only when the change is confirmed there do
/// the others get it (one at a time, each outcome kept). A partial failure is retried on the unfinished nodes with
/// <see cref="RetryAsync"/>, or undone on the applied ones by rolling out the previous state to them.
/// </summary>
public static class ProxySqlRollout
{
    public static async Task<RolloutResult> RunAsync(IReadOnlyList<IProxySqlAdmin> nodes,
        Func<IProxySqlAdmin, CancellationToken, Task<NodeChangeResult>> change, CancellationToken ct = default)
    {
        if (nodes.Count == 0) return new RolloutResult([]);
        var outcomes = new List<NodeOutcome>();
        var canary = await change(nodes[0], ct).ConfigureAwait(false);
        outcomes.Add(new NodeOutcome(nodes[0].Node, canary.Succeeded ? NodeState.Applied : NodeState.Failed, canary));
        foreach (var node in nodes.Skip(1))
        {
            if (!canary.Succeeded)
            {
                outcomes.Add(new NodeOutcome(node.Node, NodeState.NotAttempted, null));
                continue;
            }
            var result = await change(node, ct).ConfigureAwait(false);
            outcomes.Add(new NodeOutcome(node.Node, result.Succeeded ? NodeState.Applied : NodeState.Failed, result));
        }
        return new RolloutResult(outcomes);
    }

    /// <summary>Runs the change again on the nodes of <paramref name="previous"/> that did not apply it; keeps the others' outcomes.</summary>
    public static async Task<RolloutResult> RetryAsync(RolloutResult previous, IReadOnlyList<IProxySqlAdmin> nodes,
        Func<IProxySqlAdmin, CancellationToken, Task<NodeChangeResult>> change, CancellationToken ct = default)
    {
        var outcomes = new List<NodeOutcome>();
        foreach (var outcome in previous.Nodes)
        {
            if (outcome.State == NodeState.Applied || nodes.FirstOrDefault(n => n.Node == outcome.Node) is not { } node)
            {
                outcomes.Add(outcome);
                continue;
            }
            var result = await change(node, ct).ConfigureAwait(false);
            outcomes.Add(new NodeOutcome(node.Node, result.Succeeded ? NodeState.Applied : NodeState.Failed, result));
        }
        return new RolloutResult(outcomes);
    }

    /// <summary>
    /// Undoes a partial rollout: runs <paramref name="undo"/> (the previous state) on the nodes that applied the change.
    /// Nodes that failed were restored by the adapter itself and keep their outcome.
    /// </summary>
    public static async Task<RolloutResult> RollBackAsync(RolloutResult previous, IReadOnlyList<IProxySqlAdmin> nodes,
        Func<IProxySqlAdmin, CancellationToken, Task<NodeChangeResult>> undo, CancellationToken ct = default)
    {
        var outcomes = new List<NodeOutcome>();
        foreach (var outcome in previous.Nodes)
        {
            if (outcome.State != NodeState.Applied || nodes.FirstOrDefault(n => n.Node == outcome.Node) is not { } node)
            {
                outcomes.Add(outcome);
                continue;
            }
            var result = await undo(node, ct).ConfigureAwait(false);
            outcomes.Add(new NodeOutcome(node.Node, result.Succeeded ? NodeState.Applied : NodeState.Failed, result));
        }
        return new RolloutResult(outcomes);
    }
}
