using System.Collections.Immutable;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Deploy;

/// <summary>
/// Pure: desired stack + what the Swarm runs for the topology + the Swarm's nodes + image ids → a plan of overlay
/// networks to create, services to create / update (with the reason) / remove, and configs no service uses any more.
/// Groups follow the Docker deploy's dependency order (primary, replicas, web nodes, load balancer).
/// </summary>
public static class SwarmPlanner
{
    private const int RemoveServicesGroup = 10;
    private const int RemoveConfigsGroup = 19;
    private const int RemoveNetworksGroup = 20;
    private const int RemoveVolumesGroup = 21;

    /// <summary>Swarm's limit on a service name (a DNS label).</summary>
    public const int MaxServiceName = 63;

    public static PreparedDeploy Plan(DesiredStack desired, ObservedSwarmStack observed, ImmutableArray<SwarmNode> nodes,
        IReadOnlyDictionary<string, string?> imageIds)
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        problems.AddRange(desired.Images
            .Where(image => imageIds.GetValueOrDefault(image) is null)
            .Select(image => $"Image '{image}' is not present on the engine (and no registry is used); build it with scripts/build-images.sh on every Swarm node or name another image."));
        if (!nodes.Any(n => n.Schedulable))
            problems.Add("deploy.target: the Swarm has no ready, active node to run services on.");
        problems.AddRange(desired.Containers.Where(c => c.Definition.Name.Length > MaxServiceName).Select(c =>
            $"name: service name '{c.Definition.Name}' is longer than Swarm's {MaxServiceName} characters; shorten the topology or node name."));

        var stack = SwarmStackBuilder.Build(desired, Place(desired, observed, nodes), imageIds);
        var steps = ImmutableArray.CreateBuilder<PlanStep>();
        foreach (var network in desired.Networks.Where(n => !observed.Networks.Any(o => o.Name == n)))
            steps.Add(new PlanStep(PlanAction.Create, PlanObject.Network, network, null, DeployTier.Network, (int)DeployTier.Network));

        var claimed = new HashSet<string>();
        foreach (var want in stack.Services.OrderBy(s => s.Tier))
        {
            var have = observed.Services.FirstOrDefault(s => s.Name == want.Name);
            if (have is null)
            {
                steps.Add(new PlanStep(PlanAction.Create, PlanObject.Service, want.Name, want.Node, want.Tier, (int)want.Tier));
                continue;
            }
            claimed.Add(have.Id);
            var reasons = Differences(want.Definition, have, imageIds.GetValueOrDefault(want.Definition.Image));
            if (reasons.Count > 0)
                steps.Add(new PlanStep(PlanAction.Update, PlanObject.Service, want.Name, want.Node, want.Tier, (int)want.Tier,
                    string.Join("; ", reasons), have.Id));
        }

        // Leftovers after everything new is in place, the load balancer first so no traffic reaches a node being removed.
        foreach (var extra in observed.Services.Where(s => !claimed.Contains(s.Id)))
        {
            var tier = DesiredStackBuilder.TierOfRoleLabel(extra.Role);
            steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Service, extra.Name, extra.Node, tier,
                RemoveServicesGroup + (DeployTier.LoadBalancer - tier), "not in the topology", extra.Id));
        }
        var used = stack.ConfigNames;
        foreach (var config in observed.Configs.Where(c => !used.Contains(c.Name)))
            steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Config, config.Name, config.Node, DeployTier.Network, RemoveConfigsGroup,
                "no service uses it", config.Id));
        foreach (var extra in observed.Networks.Where(n => !desired.Networks.Contains(n.Name)))
            steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Network, extra.Name, null, DeployTier.Network, RemoveNetworksGroup, "not in the topology", extra.Id));
        // Volumes of removed database nodes are kept: data goes only on an explicit destroy --volumes.

        var plan = new DeployPlan(desired.Topology, [.. steps.OrderBy(s => s.Group)], problems.ToImmutable(), DeployTarget.Swarm);
        return new PreparedDeploy(plan, desired, stack);
    }

    /// <summary>Removes everything the topology owns on the Swarm: services (load balancer first), configs, networks; volumes when asked.</summary>
    public static DeployPlan PlanDestroy(ObservedSwarmStack observed, bool includeVolumes)
    {
        var steps = ImmutableArray.CreateBuilder<PlanStep>();
        foreach (var s in observed.Services)
        {
            var tier = DesiredStackBuilder.TierOfRoleLabel(s.Role);
            steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Service, s.Name, s.Node, tier,
                RemoveServicesGroup + (DeployTier.LoadBalancer - tier), "destroy", s.Id));
        }
        foreach (var c in observed.Configs)
            steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Config, c.Name, c.Node, DeployTier.Network, RemoveConfigsGroup, "destroy", c.Id));
        foreach (var n in observed.Networks)
            steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Network, n.Name, null, DeployTier.Network, RemoveNetworksGroup, "destroy", n.Id));
        if (includeVolumes)
            foreach (var v in observed.Volumes)
                steps.Add(new PlanStep(PlanAction.Remove, PlanObject.Volume, v.Name, v.Node, DeployTier.Network, RemoveVolumesGroup, "destroy --volumes", v.Name));
        return new DeployPlan(observed.Topology, [.. steps.OrderBy(s => s.Group)], [], DeployTarget.Swarm);
    }

    /// <summary>
    /// Pins every web node and every database node to a Swarm node, spreading each tier: a new node goes to the ready,
    /// active Swarm node with the fewest of its tier. Swarm's own spread preference acts among the tasks of one
    /// service, and each node here is its own service, so the planner spreads them. A placed node stays where it is:
    /// a database's volume lives on that Swarm node (kept even while the node is down), a web node moves only when its
    /// Swarm node can no longer run it. The load balancer is not pinned: it publishes its port on whichever Swarm node
    /// runs it (status names that node).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Place(DesiredStack desired, ObservedSwarmStack observed, ImmutableArray<SwarmNode> nodes)
    {
        var eligible = nodes.Where(n => n.Schedulable).ToList();
        var known = nodes.Select(n => n.Id).ToHashSet();
        var placement = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tier in new[] { new[] { NodeRole.Primary, NodeRole.Replica }, new[] { NodeRole.Web } })
        {
            var members = desired.Containers.Where(c => tier.Contains(c.Role)).ToList();
            var count = eligible.ToDictionary(n => n.Id, _ => 0);
            var pending = new List<DesiredContainer>();
            foreach (var c in members)
            {
                var pinned = observed.Services.FirstOrDefault(s => s.Name == c.Definition.Name)?.Constraints
                    .Select(PinnedNode).FirstOrDefault(id => id is not null);
                var keep = pinned is not null && (c.Role == NodeRole.Web ? count.ContainsKey(pinned) : known.Contains(pinned));
                if (!keep)
                {
                    pending.Add(c);
                    continue;
                }
                placement[c.Node] = pinned!;
                if (count.ContainsKey(pinned!)) count[pinned!]++;
            }
            foreach (var c in pending)
            {
                if (eligible.Count == 0) break;
                var least = eligible.OrderBy(n => count[n.Id]).First();
                placement[c.Node] = least.Id;
                count[least.Id]++;
            }
        }
        return placement;
    }

    private static string? PinnedNode(string constraint)
    {
        const string prefix = "node.id==";
        var c = constraint.Replace(" ", "", StringComparison.Ordinal);
        return c.StartsWith(prefix, StringComparison.Ordinal) ? c[prefix.Length..] : null;
    }

    private static List<string> Differences(ServiceDefinition want, EngineService have, string? imageId)
    {
        var reasons = new List<string>();
        var haveImage = have.Label(EngineLabels.Image);
        if (haveImage != want.Image)
            reasons.Add($"image changed: {haveImage} → {want.Image}");
        else if (imageId is not null && have.Label(SwarmStackBuilder.ImageIdLabel) != imageId)
            reasons.Add($"image {want.Image} was rebuilt");
        if (have.Label(EngineLabels.ConfigHash) != want.Labels.GetValueOrDefault(EngineLabels.ConfigHash))
            reasons.Add("config changed");
        if (have.Label(EngineLabels.SettingsHash) != want.Labels.GetValueOrDefault(EngineLabels.SettingsHash))
            reasons.Add("settings changed");
        if (!have.Constraints.Order(StringComparer.Ordinal).SequenceEqual(want.Constraints.Order(StringComparer.Ordinal)))
            reasons.Add($"placement changed: {Describe(have.Constraints)} → {Describe(want.Constraints)}");
        else if (have.Label(SwarmStackBuilder.ServiceHashLabel) != want.Labels.GetValueOrDefault(SwarmStackBuilder.ServiceHashLabel))
            reasons.Add("networks or published ports changed");
        if (have.Label(EngineLabels.Role) != want.Labels.GetValueOrDefault(EngineLabels.Role))
            reasons.Add($"role changed: {have.Role} → {want.Labels.GetValueOrDefault(EngineLabels.Role)}");
        if (!have.IsRunning && reasons.Count == 0)
            reasons.Add($"no running task ({have.TaskState ?? "none"})");
        return reasons;
    }

    private static string Describe(ImmutableArray<string> constraints) => constraints.IsEmpty ? "anywhere" : string.Join(", ", constraints);
}
