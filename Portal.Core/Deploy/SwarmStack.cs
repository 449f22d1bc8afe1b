using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Deploy;

/// <summary>One node of the topology as a Swarm service, with the container it stands for (role, tier, files, readiness).</summary>
public sealed record DesiredService(DesiredContainer Container, ServiceDefinition Definition)
{
    public string Node => Container.Node;
    public NodeRole Role => Container.Role;
    public DeployTier Tier => Container.Tier;
    public string Name => Definition.Name;
}

/// <summary>What a Swarm should run for one topology: the same <see cref="DesiredStack"/>, as placed services.</summary>
public sealed record SwarmStack(DesiredStack Stack, ImmutableArray<DesiredService> Services)
{
    public string Topology => Stack.Topology;

    /// <summary>Every config the services refer to, by name.</summary>
    public ImmutableHashSet<string> ConfigNames => [.. Services.SelectMany(s => s.Definition.Configs).Select(c => c.ConfigName)];
}

/// <summary>
/// Maps a <see cref="DesiredStack"/> onto Swarm services: one service with one task per node (so HAProxy's servers,
/// the replica's primary and the sticky cookie keep naming nodes), the same names, labels, environment and network
/// aliases as the Docker deploy, on overlay networks. Files become Swarm configs (stored by the managers, delivered to
/// whichever node runs the task; no host paths). Databases bootstrap themselves from the image's init.d on the first
/// start of an empty volume (docs/decisions/0006), because the portal can exec only into its own node's containers.
/// </summary>
public static class SwarmStackBuilder
{
    /// <summary>Hash of the service's networks, aliases, placement and published ports: what the container's hashes do not cover.</summary>
    public const string ServiceHashLabel = "haportal.service-hash";

    /// <summary>The image id the service was made from: the tag of a locally built image moves, the id tells a rebuild.</summary>
    public const string ImageIdLabel = "haportal.image-id";

    public const string ConfigRoleLabel = "config";

    /// <param name="placement">Node name → Swarm node id it is pinned to; nodes without an entry go wherever Swarm puts them.</param>
    /// <param name="imageIds">Image name → its id now, recorded on the service so a rebuilt image is noticed.</param>
    public static SwarmStack Build(DesiredStack stack, IReadOnlyDictionary<string, string> placement, IReadOnlyDictionary<string, string?> imageIds)
    {
        var services = stack.Containers.Select(c => new DesiredService(c, Service(stack, c,
            placement.TryGetValue(c.Node, out var id) ? [$"node.id=={id}"] : [],
            imageIds.GetValueOrDefault(c.Definition.Image)))).ToImmutableArray();
        return new SwarmStack(stack, services);
    }

    /// <summary>Files a database service gets besides its my.cnf: the bootstrap its image's entrypoint runs on an empty volume.</summary>
    public static ImmutableArray<ContainerFile> BootstrapFiles(TopologySpec spec, NodeRole role) => role switch
    {
        NodeRole.Primary =>
        [
            new ContainerFile($"{BootstrapSql.InitDirectory}/{ComposeExport.InitFileName}", BootstrapSql.Primary(spec, BootstrapSql.InitFileVariable)),
            // Every database boots read-only (its my.cnf names no role). A restarted primary task must come back
            // writable without the portal, so the role is fixed in a later file, as in the compose export.
            new ContainerFile(ComposeExport.PrimaryCnfPath, "[mariadbd]\nread_only = OFF\n"),
        ],
        NodeRole.Replica => [new ContainerFile($"{BootstrapSql.InitDirectory}/{ComposeExport.InitFileName}", BootstrapSql.Replica(spec, BootstrapSql.InitFileVariable))],
        _ => [],
    };

    public static IReadOnlyDictionary<string, string> ConfigLabels(string topology, string node) =>
        new Dictionary<string, string> { [EngineLabels.Topology] = topology, [EngineLabels.Role] = ConfigRoleLabel, [EngineLabels.Node] = node };

    private static ServiceDefinition Service(DesiredStack stack, DesiredContainer c, ImmutableArray<string> constraints, string? imageId)
    {
        var d = c.Definition;
        var files = c.Files.AddRange(BootstrapFiles(stack.Spec, c.Role));
        // A config cannot change: its name carries a hash of service, path and content, so new content is a new config.
        // Swarm allows 64 characters in a config name.
        var prefix = d.Name.Length > 47 ? d.Name[..47] : d.Name;
        var configs = files.Select(f => new ServiceConfigFile($"{prefix}-{Hash([d.Name, f.Path, f.Content])}", f.Path, f.Content)).ToImmutableArray();
        ImmutableArray<ServiceNetwork> networks = c.SqlAliases is { } sql
            ? [new(stack.Network, d.NetworkAliases), new(stack.SqlNetwork, sql)]
            : [new(stack.Network, d.NetworkAliases)];
        // Only the load balancer's own port is published (on the Swarm node that runs it); its stats stay on the
        // overlay network: an admin interface is never published on all interfaces.
        var ports = c.Role == NodeRole.LoadBalancer
            ? ImmutableArray.Create(new PublishedPort(stack.Spec.LoadBalancer.PublishPort, "0.0.0.0", stack.Spec.LoadBalancer.PublishPort))
            : [];
        var serviceHash = Hash([
            .. networks.Select(n => $"network {n.Network} {string.Join(',', n.Aliases.Order(StringComparer.Ordinal))}"),
            .. constraints.Select(x => $"constraint {x}"),
            .. ports.Select(p => $"port {p.ContainerPort}:{p.HostPort}"),
        ]);
        var labels = d.Labels
            // Bootstrap files count as config: they decide what an empty volume becomes.
            .SetItem(EngineLabels.ConfigHash, Hash(files.Select(f => $"{f.Path}\n{f.Content}")))
            .SetItem(ServiceHashLabel, serviceHash);
        if (imageId is not null) labels = labels.SetItem(ImageIdLabel, imageId);
        return new ServiceDefinition
        {
            Name = d.Name,
            Hostname = d.Hostname,
            Image = d.Image,
            Labels = labels,
            Environment = d.Environment,
            SecretEnvironment = d.SecretEnvironment,
            Networks = networks,
            Configs = configs,
            Volumes = [.. d.Volumes.Select(v => new ServiceVolume(v.Volume, v.ContainerPath,
                DesiredStackBuilder.VolumeLabels(stack.Topology, c.Node).ToImmutableDictionary()))],
            Ports = ports,
            Constraints = constraints,
        };
    }

    private static string Hash(IEnumerable<string> parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))))[..16];
}
