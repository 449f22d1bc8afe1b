using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;
using Microsoft.Extensions.Logging;

namespace HaPortal.Core.Deploy;

/// <summary>
/// Plan, apply, destroy and status of topologies with <c>deploy.target: swarm</c> on the Swarm the engine manages:
/// the same <see cref="DesiredStack"/> as the Docker deploy, as services (<see cref="SwarmPlanner"/>, <see cref="SwarmExecutor"/>).
/// Singleton; thread-safe. <paramref name="secrets"/>: as for <see cref="StackDeployer"/>.
/// </summary>
public sealed class SwarmDeployer(
    IContainerEngine engine, ISwarmEngine swarm, DeploySettings settings, TimeProvider time,
    ILogger<SwarmDeployer>? logger = null, SecretsStore? secrets = null)
{
    /// <summary>
    /// What a Swarm deploy cannot do: the router tier's keepalived shares each ProxySQL container's network namespace,
    /// which Swarm services cannot (docs/decisions/0011-router-tier-keepalived-beside-proxysql.md).
    /// </summary>
    public static ImmutableArray<string> Unsupported(TopologySpec spec) =>
        RouterStack.HasRouter(spec)
            ? DesiredStackBuilder.Unsupported(spec).Add("sqlRouter: the Swarm target does not deploy the ProxySQL tier yet; deploy it with deploy.target docker, or remove sqlRouter.")
            : DesiredStackBuilder.Unsupported(spec);

    public async Task<PreparedDeploy> PlanAsync(TopologySpec spec, CancellationToken ct)
    {
        var unsupported = Unsupported(spec);
        if (!unsupported.IsEmpty) return new PreparedDeploy(new DeployPlan(spec.Name, [], unsupported, DeployTarget.Swarm), null);
        if (await swarm.LocalNodeIdAsync(ct).ConfigureAwait(false) is null)
            return new PreparedDeploy(new DeployPlan(spec.Name, [], [NotInASwarm()], DeployTarget.Swarm), null);

        var observed = await swarm.ObserveAsync(spec.Name, ct).ConfigureAwait(false);
        var stackSecrets = secrets is null
            ? RunningSecrets(observed) ?? StackSecrets.Generate()
            : await secrets.GetOrCreateAsync(spec.Name, _ => Task.FromResult(RunningSecrets(observed)), ct).ConfigureAwait(false);
        var desired = DesiredStackBuilder.Build(spec, settings, stackSecrets);
        var imageIds = new Dictionary<string, string?>();
        foreach (var image in desired.Images)
            imageIds[image] = await engine.ImageIdAsync(image, ct).ConfigureAwait(false);
        var nodes = await swarm.ListNodesAsync(ct).ConfigureAwait(false);
        return SwarmPlanner.Plan(desired, observed, nodes, imageIds);
    }

    public IAsyncEnumerable<DeployProgress> ApplyAsync(PreparedDeploy prepared, CancellationToken ct) =>
        new SwarmExecutor(engine, swarm, settings, time, logger).RunAsync(prepared.Plan, prepared.Swarm, ct);

    /// <summary>True when the engine is in a Swarm and the topology owns a service, config or overlay network there.</summary>
    /// <summary>
    /// Whether the topology has Swarm-only objects (services, configs, overlay networks). Its volumes do not count:
    /// they are the engine's local volumes, which a Docker deploy has too, and either deployer removes them.
    /// </summary>
    public async Task<bool> OwnsAsync(string topology, CancellationToken ct)
    {
        if (await swarm.LocalNodeIdAsync(ct).ConfigureAwait(false) is null) return false;
        var observed = await swarm.ObserveAsync(topology, ct).ConfigureAwait(false);
        return !observed.Services.IsEmpty || !observed.Configs.IsEmpty || !observed.Networks.IsEmpty;
    }

    public async Task<DeployPlan> PlanDestroyAsync(string topology, bool includeVolumes, CancellationToken ct) =>
        SwarmPlanner.PlanDestroy(await swarm.ObserveAsync(topology, ct).ConfigureAwait(false), includeVolumes);

    /// <summary>Runs a destroy plan; once it completed and no data volume is left, the stored secrets are forgotten too.</summary>
    public async IAsyncEnumerable<DeployProgress> DestroyAsync(DeployPlan destroyPlan, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in new SwarmExecutor(engine, swarm, settings, time, logger).RunAsync(destroyPlan, null, ct).ConfigureAwait(false))
        {
            if (e.Kind == DeployEventKind.Completed && secrets is not null
                && (await swarm.ObserveAsync(destroyPlan.Topology, ct).ConfigureAwait(false)).Volumes.IsEmpty)
                await secrets.ForgetAsync(destroyPlan.Topology, ct).ConfigureAwait(false);
            yield return e;
        }
    }

    /// <summary>
    /// One line per service: the state of its newest task and the Swarm node it runs on, the health of its container
    /// when that is this engine's node, and how many earlier tasks Swarm has replaced (its restarts).
    /// </summary>
    public async Task<StackStatus> StatusAsync(string topology, CancellationToken ct)
    {
        var observed = await swarm.ObserveAsync(topology, ct).ConfigureAwait(false);
        var local = await swarm.LocalNodeIdAsync(ct).ConfigureAwait(false);
        var hosts = local is null ? [] : (await swarm.ListNodesAsync(ct).ConfigureAwait(false)).ToDictionary(n => n.Id, n => n.Hostname);
        var nodes = ImmutableArray.CreateBuilder<NodeStatus>();
        foreach (var s in observed.Services.OrderBy(s => DesiredStackBuilder.TierOfRoleLabel(s.Role)).ThenBy(s => s.Node, StringComparer.Ordinal))
        {
            var tasks = await swarm.ListTasksAsync(s.Id, ct).ConfigureAwait(false);
            var current = tasks.FirstOrDefault(t => t.DesiredState == "running") ?? tasks.FirstOrDefault();
            string? health = null;
            if (current is { ContainerId: { } id } && current.NodeId == local)
                health = (await engine.InspectHealthAsync(id, ct).ConfigureAwait(false)).Health;
            // Which Swarm node runs it: the load balancer's port is published there.
            var where = current is null ? "" : $" on {hosts.GetValueOrDefault(current.NodeId, current.NodeId)}";
            nodes.Add(new NodeStatus(s.Node, s.Role, s.Name + where, s.Label(EngineLabels.Image) ?? "", current?.State ?? "no task", health,
                Math.Max(0, tasks.Length - 1)));
        }
        return new StackStatus(topology, nodes.ToImmutable(),
            [.. observed.Networks.Select(n => n.Name)], [.. observed.Volumes.Select(v => v.Name)]);
    }

    /// <summary>The passwords a database service carries: what a stack deployed before secrets were stored was made with.</summary>
    private static StackSecrets? RunningSecrets(ObservedSwarmStack observed) =>
        observed.Services.Where(s => s.Role == DesiredStackBuilder.DatabaseRoleLabel)
            .Select(s => StackSecrets.FromEnvironment(s.Environment))
            .FirstOrDefault(s => s is not null);

    private string NotInASwarm() =>
        $"deploy.target: the engine at {swarm.Endpoint} is not part of a Swarm; run 'docker swarm init' there (scripts/start-docker.sh does on a test machine) or deploy with target docker.";
}

/// <summary>
/// The <see cref="IDeployRunner"/> of the portal: a topology's <c>deploy.target</c> picks the Docker or the Swarm
/// deployer for its plan; the plan's own target picks who runs it. Destroy and status know only a name: the Swarm
/// deployer answers for a topology that owns something on the Swarm, the Docker deployer otherwise.
/// </summary>
public sealed class TargetDeployRunner(StackDeployer docker, SwarmDeployer swarm) : IDeployRunner
{
    public Task<PreparedDeploy> PlanAsync(TopologySpec spec, CancellationToken ct) =>
        spec.Deploy?.Target == DeployTarget.Swarm ? swarm.PlanAsync(spec, ct) : docker.PlanAsync(spec, ct);

    public IAsyncEnumerable<DeployProgress> ApplyAsync(PreparedDeploy prepared, CancellationToken ct) =>
        prepared.Plan.Target == DeployTarget.Swarm ? swarm.ApplyAsync(prepared, ct) : docker.ApplyAsync(prepared, ct);

    public async Task<DeployPlan> PlanDestroyAsync(string topology, bool includeVolumes, CancellationToken ct) =>
        await swarm.OwnsAsync(topology, ct).ConfigureAwait(false)
            ? await swarm.PlanDestroyAsync(topology, includeVolumes, ct).ConfigureAwait(false)
            : await docker.PlanDestroyAsync(topology, includeVolumes, ct).ConfigureAwait(false);

    public IAsyncEnumerable<DeployProgress> DestroyAsync(DeployPlan destroyPlan, CancellationToken ct) =>
        destroyPlan.Target == DeployTarget.Swarm ? swarm.DestroyAsync(destroyPlan, ct) : docker.DestroyAsync(destroyPlan, ct);

    public async Task<StackStatus> StatusAsync(string topology, CancellationToken ct) =>
        await swarm.OwnsAsync(topology, ct).ConfigureAwait(false)
            ? await swarm.StatusAsync(topology, ct).ConfigureAwait(false)
            : await docker.StatusAsync(topology, ct).ConfigureAwait(false);
}
