using HaPortal.Core.Deploy;
using HaPortal.Core.Haproxy;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;

namespace HaPortal.Tests.Haproxy;

/// <summary>
/// A scripted <see cref="IDeployedLoadBalancers"/> for page tests: "deployed" topologies whose runtime is a real HAProxy
/// (<see cref="HaproxyStack"/>), and add/remove that only record the call, report two steps and succeed, holding
/// between them until <see cref="Release"/> so a test can see the change in progress. The real one is tested on Docker
/// (Deploy/DeployedWebNodeTests). Refuses a Viewer the way the real one does.
/// </summary>
internal sealed class ScriptedLoadBalancers(IReadOnlyDictionary<string, IHaproxyRuntime> deployed) : IDeployedLoadBalancers
{
    public List<string> Calls { get; } = [];

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([.. deployed.Keys.Order()]);

    public IHaproxyRuntime Runtime(string topology) => deployed[topology];

    public async Task<WebNodeChangeResult> AddNodeAsync(Actor actor, string topology, string node, int weight, Action<string>? progress, CancellationToken ct)
    {
        actor.EnsureCanChange("add a web node");
        Calls.Add($"add {topology} {node} {weight}");
        if (node.Length == 0) return new([new("node", "'' is not a node name: use letters, digits, '-', '_' and '.'.")]);
        progress?.Invoke($"creating {topology}-{node} and waiting until it serves");
        await Release.Task.WaitAsync(ct);
        progress?.Invoke($"{node} added");
        return new([], new RevisionInfo(2, actor.Name, DateTimeOffset.UnixEpoch, $"added web node {node}"));
    }

    public async Task<WebNodeChangeResult> RemoveNodeAsync(Actor actor, string topology, string node, TimeSpan timeout, bool shutdownRemaining,
        Action<string>? progress, CancellationToken ct)
    {
        actor.EnsureCanChange("remove a web node");
        Calls.Add($"remove {topology} {node} {timeout.TotalSeconds} {shutdownRemaining}");
        progress?.Invoke($"draining {node}");
        await Release.Task.WaitAsync(ct);
        progress?.Invoke($"{node} removed");
        return new([], new RevisionInfo(3, actor.Name, DateTimeOffset.UnixEpoch, $"removed web node {node}"), null, new ServerRemoval(RemovalOutcome.Deleted, 0));
    }
}
