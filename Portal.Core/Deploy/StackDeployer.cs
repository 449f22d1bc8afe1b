using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;
using Microsoft.Extensions.Logging;

namespace HaPortal.Core.Deploy;

/// <summary>
/// A plan together with the desired stack it was made for (null when the topology cannot be deployed), and for a
/// Swarm plan the services it places.
/// </summary>
public sealed record PreparedDeploy(DeployPlan Plan, DesiredStack? Desired, SwarmStack? Swarm = null);

public sealed record NodeStatus(string Node, string Role, string Container, string Image, string State, string? Health, long RestartCount);

/// <summary>What one topology has on the engine now.</summary>
public sealed record StackStatus(string Topology, ImmutableArray<NodeStatus> Nodes, ImmutableArray<string> Networks, ImmutableArray<string> Volumes)
{
    public bool Exists => !Nodes.IsEmpty || !Networks.IsEmpty || !Volumes.IsEmpty;
}

/// <summary>
/// Plan, apply, destroy and status of topologies on one engine: reads what is there, builds what
/// should be, and hands the difference to <see cref="DeployExecutor"/>. Singleton; thread-safe.
/// </summary>
/// <param name="secrets">
/// Where each topology's passwords are kept (the portal and the command line always give one). Without a store, as in
/// tests of destroy or status only, a plan takes the passwords a running database container carries, else new ones.
/// </param>
public sealed class StackDeployer(
    IContainerEngine engine, DeploySettings settings, TimeProvider time, ILogger<StackDeployer>? logger = null, SecretsStore? secrets = null)
{
    public IContainerEngine Engine => engine;

    /// <summary>Plans an apply with the topology's stored secrets (generated and stored on its first plan).</summary>
    public async Task<PreparedDeploy> PlanAsync(TopologySpec spec, CancellationToken ct)
    {
        var unsupported = DesiredStackBuilder.Unsupported(spec);
        if (!unsupported.IsEmpty) return new PreparedDeploy(new DeployPlan(spec.Name, [], unsupported), null);

        // The engine and the secrets store are asked at once (the store needs the engine's answer only for a stack
        // deployed before secrets were stored): on a command's first call each costs a few hundred ms of warming up.
        var observing = ObserveAsync(spec.Name, ct);
        var finding = SecretsAsync(spec.Name, observing, ct);
        await Task.WhenAll(observing, finding).ConfigureAwait(false);
        var (observed, secrets) = (observing.Result, finding.Result);
        var desired = DesiredStackBuilder.Build(spec, settings, secrets);
        var images = desired.Images.ToList();
        var ids = await Task.WhenAll(images.Select(image => engine.ImageIdAsync(image, ct))).ConfigureAwait(false);
        var imageIds = images.Zip(ids).ToDictionary(p => p.First, p => p.Second);
        return new PreparedDeploy(DeployPlanner.Plan(desired, observed, imageIds), desired);
    }

    public IAsyncEnumerable<DeployProgress> ApplyAsync(PreparedDeploy prepared, CancellationToken ct) =>
        new DeployExecutor(engine, settings, time, logger).RunAsync(prepared.Plan, prepared.Desired, ct);

    public async Task<DeployPlan> PlanDestroyAsync(string topology, bool includeVolumes, CancellationToken ct) =>
        DeployPlanner.PlanDestroy(await engine.ObserveAsync(topology, ct).ConfigureAwait(false), includeVolumes);

    /// <summary>
    /// Runs a destroy plan. Once it completed and no data volume of the topology is left, its stored secrets are
    /// forgotten too: nothing holds those passwords any more, and a new deploy starts with new ones.
    /// </summary>
    public async IAsyncEnumerable<DeployProgress> DestroyAsync(DeployPlan destroyPlan, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in new DeployExecutor(engine, settings, time, logger).RunAsync(destroyPlan, null, ct).ConfigureAwait(false))
        {
            if (e.Kind == DeployEventKind.Completed && secrets is not null
                && (await engine.ObserveAsync(destroyPlan.Topology, ct).ConfigureAwait(false)).Volumes.IsEmpty)
                await secrets.ForgetAsync(destroyPlan.Topology, ct).ConfigureAwait(false);
            yield return e;
        }
    }

    public async Task<StackStatus> StatusAsync(string topology, CancellationToken ct)
    {
        var observed = await engine.ObserveAsync(topology, ct).ConfigureAwait(false);
        var nodes = ImmutableArray.CreateBuilder<NodeStatus>();
        foreach (var c in observed.Containers.OrderBy(c => DesiredStackBuilder.TierOfRoleLabel(c.Role)).ThenBy(c => c.Node, StringComparer.Ordinal))
        {
            var health = await engine.InspectHealthAsync(c.Id, ct).ConfigureAwait(false);
            nodes.Add(new NodeStatus(c.Node, c.Role, c.Name, c.Label(EngineLabels.Image) ?? c.Image, health.State, health.Health, health.RestartCount));
        }
        return new StackStatus(topology, nodes.ToImmutable(),
            [.. observed.Networks.Select(n => n.Name)], [.. observed.Volumes.Select(v => v.Name)]);
    }

    /// <summary>
    /// The topology's objects on the engine; a running load balancer that was reloaded in place reports the config it
    /// now has, not the one it was created with.
    /// </summary>
    private async Task<ObservedStack> ObserveAsync(string topology, CancellationToken ct)
    {
        var observed = await engine.ObserveAsync(topology, ct).ConfigureAwait(false);
        var lbRole = DesiredStackBuilder.RoleLabel(NodeRole.LoadBalancer);
        var containers = ImmutableArray.CreateBuilder<EngineContainer>(observed.Containers.Length);
        foreach (var c in observed.Containers)
        {
            if (c.Role != lbRole || !c.IsRunning)
            {
                containers.Add(c);
                continue;
            }
            var installed = await engine.ExecAsync(c.Id, ["cat", DesiredStackBuilder.InstalledConfigHashPath], ct).ConfigureAwait(false);
            containers.Add(installed.Succeeded && installed.Stdout.Trim() is { Length: > 0 } hash
                ? c with { Labels = c.Labels.SetItem(EngineLabels.ConfigHash, hash) }
                : c);
        }
        return observed with { Containers = containers.MoveToImmutable() };
    }

    private async Task<StackSecrets> SecretsAsync(string topology, Task<ObservedStack> observed, CancellationToken ct) =>
        secrets is null
            ? await RunningSecretsAsync(await observed.ConfigureAwait(false), ct).ConfigureAwait(false) ?? StackSecrets.Generate()
            : await secrets.GetOrCreateAsync(topology, async t => await RunningSecretsAsync(await observed.ConfigureAwait(false), t).ConfigureAwait(false), ct).ConfigureAwait(false);

    /// <summary>
    /// The passwords a running database container carries (every one carries the same): what a stack deployed before
    /// secrets were stored was made with, adopted by the store on its first plan.
    /// </summary>
    private async Task<StackSecrets?> RunningSecretsAsync(ObservedStack observed, CancellationToken ct)
    {
        var database = observed.Containers.FirstOrDefault(c => c.Role is DesiredStackBuilder.DatabaseRoleLabel or "primary");
        if (database is null) return null;
        var env = await engine.ReadEnvironmentAsync(database.Id, StackSecrets.Variables, ct).ConfigureAwait(false);
        return StackSecrets.FromEnvironment(env);
    }
}
