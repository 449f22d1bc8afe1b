using System.Collections.Immutable;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Deploy;

/// <summary>
/// <see cref="Connect"/>: put a container on the sql network with its aliases (leaving it first when it is there with
/// other aliases); <see cref="Disconnect"/>: take it off. Neither touches the container itself.
/// <see cref="Reload"/>: the load balancer's haproxy.cfg changed and nothing else did: check the new file inside
/// the running container and reload HAProxy gracefully, no recreate.
/// <see cref="Pull"/>: an image the stack uses is not on the engine; pulled before anything is created.
/// <see cref="Update"/>: a Swarm service gets a new spec; Swarm replaces its task (same name, same volume).
/// </summary>
public enum PlanAction { Create, Recreate, Remove, Connect, Disconnect, Reload, Pull, Update }

/// <summary><see cref="Service"/> and <see cref="Config"/>: Swarm objects (deploy.target swarm).</summary>
public enum PlanObject { Network, Volume, Container, Image, Service, Config }

/// <summary>
/// One change. <see cref="Group"/> orders the plan: steps of one group run in parallel, groups run
/// in ascending order. <see cref="ObservedId"/> is the engine object a recreate or remove replaces.
/// </summary>
public sealed record PlanStep(
    PlanAction Action,
    PlanObject Object,
    string Name,
    string? Node,
    DeployTier Tier,
    int Group,
    string? Reason = null,
    string? ObservedId = null)
{
    public override string ToString() =>
        $"{Action.ToString().ToLowerInvariant()} {Object.ToString().ToLowerInvariant()} {Name}{(Reason is null ? "" : $" ({Reason})")}";
}

/// <summary>
/// What an apply (or destroy) would do. <see cref="Problems"/> non-empty means it must not run. <see cref="Target"/>
/// says which deployer made it, and so which one runs it.
/// </summary>
public sealed record DeployPlan(string Topology, ImmutableArray<PlanStep> Steps, ImmutableArray<string> Problems, DeployTarget Target = DeployTarget.Docker)
{
    public bool IsEmpty => Steps.IsEmpty;
    public bool CanApply => Problems.IsEmpty;
}

/// <summary>Pure: desired stack + observed labelled objects (+ ids of the images now present) → plan.</summary>
public static class DeployPlanner
{
    private const string ConfigChanged = "config changed";
    private const int RemoveContainersGroup = 10;
    private const int RemoveNetworksGroup = 20;
    private const int RemoveVolumesGroup = 21;

    /// <param name="imageIds">Image name → id on the engine, for every image the desired stack uses; missing or null: absent.</param>
    public static DeployPlan Plan(DesiredStack desired, ObservedStack observed, IReadOnlyDictionary<string, string?> imageIds)
    {
        // Images that are absent become pull steps below; what the router tier cannot run over is a problem.
        var problems = RouterStack.PlanProblems(desired, observed);

        var steps = ImmutableArray.CreateBuilder<PlanStep>();
        // An absent image is pulled first; when it cannot be, the apply stops there, before anything is created.
        foreach (var image in desired.Images.Where(image => imageIds.GetValueOrDefault(image) is null))
            steps.Add(new PlanStep(PlanAction.Pull, PlanObject.Image, image, null, DeployTier.Images, (int)DeployTier.Images, "not on the engine"));
        foreach (var network in desired.Networks.Where(n => !observed.Networks.Any(o => o.Name == n)))
            steps.Add(new PlanStep(PlanAction.Create, PlanObject.Network, network, null, DeployTier.Network, (int)DeployTier.Network));
        foreach (var volume in desired.Volumes.Where(v => !observed.Volumes.Any(o => o.Name == v.Name)))
            steps.Add(new PlanStep(PlanAction.Create, PlanObject.Volume, volume.Name, volume.Node, DeployTier.Network, (int)DeployTier.Network));

        var claimed = new HashSet<string>();
        foreach (var want in desired.Containers.OrderBy(c => c.Tier))
        {
            var have = observed.Containers.FirstOrDefault(c => c.Name == want.Definition.Name);
            if (have is null)
            {
                steps.Add(new PlanStep(PlanAction.Create, PlanObject.Container, want.Definition.Name, want.Node, want.Tier, (int)want.Tier));
                continue;
            }
            claimed.Add(have.Id);
            var reasons = Differences(want, have, imageIds.GetValueOrDefault(want.Definition.Image));
            if (reasons is [ConfigChanged] && want.Role == NodeRole.LoadBalancer && have.IsRunning)
                steps.Add(new PlanStep(PlanAction.Reload, PlanObject.Container, want.Definition.Name, want.Node, want.Tier,
                    (int)want.Tier, "haproxy.cfg changed", have.Id));
            else if (reasons.Count > 0)
                steps.Add(new PlanStep(PlanAction.Recreate, PlanObject.Container, want.Definition.Name, want.Node, want.Tier,
                    (int)want.Tier, string.Join("; ", reasons), have.Id));
            else if (SqlMembership(want, have, desired.SqlNetwork) is { } membership)
                steps.Add(membership);
        }

        FollowRecreatedRouters(desired, steps);

        // Leftovers go after everything new is in place, the load balancer first so no traffic reaches a node being removed.
        foreach (var extra in observed.Containers.Where(c => !claimed.Contains(c.Id)))
        {
            var tier = DesiredStackBuilder.TierOfRoleLabel(extra.Role);
            steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Container, extra.Name, extra.Node, tier,
                RemoveContainersGroup + (DeployTier.LoadBalancer - tier), "not in the topology", extra.Id));
        }
        foreach (var extra in observed.Networks.Where(n => !desired.Networks.Contains(n.Name)))
            steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Network, extra.Name, null, DeployTier.Network, RemoveNetworksGroup, "not in the topology", extra.Id));
        // Volumes of removed database nodes are kept: data goes only on an explicit destroy --volumes.

        return new DeployPlan(desired.Topology, [.. steps.OrderBy(s => s.Group)], problems);
    }

    /// <summary>Removes everything the topology owns: load balancer first, then web nodes, router, databases, network; volumes when asked.</summary>
    public static DeployPlan PlanDestroy(ObservedStack observed, bool includeVolumes)
    {
        var steps = ImmutableArray.CreateBuilder<PlanStep>();
        foreach (var c in observed.Containers)
        {
            var tier = DesiredStackBuilder.TierOfRoleLabel(c.Role);
            steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Container, c.Name, c.Node, tier,
                RemoveContainersGroup + (DeployTier.LoadBalancer - tier), "destroy", c.Id));
        }
        foreach (var n in observed.Networks)
            steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Network, n.Name, null, DeployTier.Network, RemoveNetworksGroup, "destroy", n.Id));
        if (includeVolumes)
            foreach (var v in observed.Volumes)
                steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Volume, v.Name, v.Node, DeployTier.Network, RemoveVolumesGroup, "destroy --volumes", v.Name));
        return new DeployPlan(observed.Topology, [.. steps.OrderBy(s => s.Group)], []);
    }

    /// <summary>
    /// The step that brings a kept container's sql-network membership in line with the stored topology, or null.
    /// Only the portal's own aliases count: the engine adds the container's short id by itself.
    /// </summary>
    private static PlanStep? SqlMembership(DesiredContainer want, EngineContainer have, string sqlNetwork)
    {
        var joined = have.NetworkAliases.TryGetValue(sqlNetwork, out var aliases);
        var managed = joined
            ? aliases.Where(a => a is DesiredStackBuilder.WriterAlias or DesiredStackBuilder.ReaderAlias).Order(StringComparer.Ordinal).ToList()
            : [];
        string Describe(IEnumerable<string> a) => a.Any() ? string.Join(", ", a) : "no alias";
        if (want.SqlAliases is not { } wanted)
            return joined
                ? new PlanStep(PlanAction.Disconnect, PlanObject.Container, want.Definition.Name, want.Node, want.Tier, (int)want.Tier,
                    $"leave {sqlNetwork}", have.Id)
                : null;
        var target = wanted.Order(StringComparer.Ordinal).ToList();
        if (joined && managed.SequenceEqual(target) && wanted.All(aliases.Contains)) return null;
        var reason = joined
            ? $"aliases on {sqlNetwork}: {Describe(managed)} → {Describe(target)}"
            : $"join {sqlNetwork}{(target.Count == 0 ? "" : $" as {string.Join(", ", target)}")}";
        return new PlanStep(PlanAction.Connect, PlanObject.Container, want.Definition.Name, want.Node, want.Tier, (int)want.Tier, reason, have.Id);
    }

    /// <summary>
    /// keepalived lives in its router node's network namespace, which goes with that container: when a router node is
    /// (re)created, its keepalived is recreated after it, even if nothing of its own changed.
    /// </summary>
    private static void FollowRecreatedRouters(DesiredStack desired, ImmutableArray<PlanStep>.Builder steps)
    {
        foreach (var vip in desired.Containers.Where(c => c.Tier == DeployTier.RouterVip))
        {
            var host = vip.Definition.NetworkMode?["container:".Length..];
            var hostStep = steps.FirstOrDefault(s => s.Object == PlanObject.Container && s.Name == host && s.Action is PlanAction.Create or PlanAction.Recreate);
            var own = -1;
            for (var i = 0; i < steps.Count; i++)
                if (steps[i].Object == PlanObject.Container && steps[i].Name == vip.Definition.Name) own = i;
            if (hostStep is null || (own >= 0 && steps[own].Action is PlanAction.Create or PlanAction.Recreate)) continue;
            var reason = $"its router container {host} is {(hostStep.Action == PlanAction.Create ? "created" : "recreated")}";
            // A container with no step of its own exists and matches: it is replaced by name (the engine takes names as ids).
            var observedId = own >= 0 ? steps[own].ObservedId : vip.Definition.Name;
            if (own >= 0) steps.RemoveAt(own);
            steps.Add(new PlanStep(PlanAction.Recreate, PlanObject.Container, vip.Definition.Name, vip.Node, vip.Tier, (int)vip.Tier, reason, observedId));
        }
    }

    private static List<string> Differences(DesiredContainer want, EngineContainer have, string? imageId)
    {
        var reasons = new List<string>();
        var haveImage = have.Label(EngineLabels.Image) ?? have.Image;
        if (haveImage != want.Definition.Image)
            reasons.Add($"image changed: {haveImage} → {want.Definition.Image}");
        else if (imageId is not null && have.ImageId != imageId)
            reasons.Add($"image {want.Definition.Image} was rebuilt");
        if (have.Label(EngineLabels.ConfigHash) != want.ConfigHash)
            reasons.Add(ConfigChanged);
        if (have.Label(EngineLabels.SettingsHash) != want.SettingsHash)
            reasons.Add("settings changed");
        if (have.Label(EngineLabels.Role) != want.RoleLabel)
            reasons.Add($"role changed: {have.Role} → {want.RoleLabel}");
        if (!have.IsRunning && reasons.Count == 0)
            reasons.Add($"container is {have.State}");
        return reasons;
    }
}
