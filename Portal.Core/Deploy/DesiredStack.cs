using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Deploy;

/// <summary>
/// Dependency order of a deploy; within a tier, steps run in parallel. Images are pulled before anything is created.
/// <see cref="RouterVip"/>: keepalived beside each ProxySQL node, after the nodes whose network namespace it joins and
/// before the web nodes that connect to the virtual IP.
/// </summary>
public enum DeployTier { Images = -1, Network = 0, Primary = 1, Replicas = 2, Router = 3, RouterVip = 4, Web = 5, LoadBalancer = 6 }

/// <summary>
/// One container the topology asks for, fully resolved: definition, files and the hashes the planner compares.
/// <see cref="SqlAliases"/>: null when the container stays off the sql network, else its aliases there. They are
/// deliberately outside the hashes: they follow the current primary, and moving them never recreates anything.
/// </summary>
public sealed record DesiredContainer(
    string Node,
    NodeRole Role,
    DeployTier Tier,
    ContainerDefinition Definition,
    ImmutableArray<ContainerFile> Files,
    string ConfigHash,
    string SettingsHash,
    ImmutableArray<string>? SqlAliases = null)
{
    /// <summary>The haportal.role label: the role's, except for keepalived beside a router node.</summary>
    public string RoleLabel => Definition.Labels[EngineLabels.Role];
}

public sealed record DesiredVolume(string Name, string Node);

/// <summary>What the engine should hold for one topology.</summary>
public sealed record DesiredStack(
    TopologySpec Spec,
    string Network,
    string SqlNetwork,
    ImmutableArray<DesiredVolume> Volumes,
    ImmutableArray<DesiredContainer> Containers)
{
    public string Topology => Spec.Name;
    public ImmutableArray<string> Networks => [Network, SqlNetwork];

    /// <summary>The sql network's address pool when a router virtual IP lives on it; null lets the engine choose.</summary>
    public NetworkSubnet? SqlSubnet { get; init; }

    /// <summary>The portal's login on the ProxySQL admin interfaces; null without a router.</summary>
    public RouterAdminLogin? RouterAdmin { get; init; }
    public ImmutableArray<string> Images => [.. Containers.Select(c => c.Definition.Image).Distinct()];
}

/// <summary>Turns a validated topology into a <see cref="DesiredStack"/>: names, labels, environment, files.</summary>
public static class DesiredStackBuilder
{
    public const string LoadBalancerNode = "lb";
    public const string HaproxyCfgPath = "/etc/haproxy/haproxy.cfg";

    /// <summary>
    /// Config hash of the files a reload installed in a running container (its label keeps the hash from create);
    /// the planner prefers this file when present.
    /// </summary>
    public const string InstalledConfigHashPath = "/etc/haportal/config-hash";

    /// <summary>Loaded after Debian's 50-server.cnf, so these settings win.</summary>
    public const string MyCnfPath = "/etc/mysql/mariadb.conf.d/99-haportal.cnf";

    /// <summary>Alias of the current primary on the sql network: where web nodes write.</summary>
    public const string WriterAlias = "db-writer";

    /// <summary>Alias of every replica on the sql network (of the primary too when there is no replica): where web nodes read.</summary>
    public const string ReaderAlias = "db-reader";

    public static string NetworkName(string topology) => $"haportal-{topology}";

    /// <summary>
    /// The second network, without a SQL router: web nodes and database nodes only, the primary as
    /// <see cref="WriterAlias"/>, replicas as <see cref="ReaderAlias"/>. A failover moves the writer alias.
    /// </summary>
    public static string SqlNetworkName(string topology) => $"haportal-{topology}-sql";

    /// <summary>The sql-network aliases the stored topology gives one database node: writer for the primary, reader for replicas.</summary>
    public static ImmutableArray<string> DatabaseAliases(DatabaseSpec db, string node) =>
        db.Primary?.Name == node
            ? db.Replicas.IsEmpty ? [WriterAlias, ReaderAlias] : [WriterAlias]
            : [ReaderAlias];
    public static string ContainerName(string topology, string node) => $"{topology}-{node}";
    public static string VolumeName(string topology, string node) => $"{topology}-{node}-data";

    public static string RoleLabel(NodeRole role) => role switch
    {
        NodeRole.LoadBalancer => "load-balancer",
        NodeRole.Web => "web",
        NodeRole.Router => "router",
        // One label for every database node: the role is the stored topology's and the bootstrap's business, so a
        // switchover or failover changes no container (see docs/decisions on role-independent database containers).
        NodeRole.Primary or NodeRole.Replica => DatabaseRoleLabel,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    public const string DatabaseRoleLabel = "database";

    public static DeployTier TierOfRoleLabel(string? role) => role switch
    {
        DatabaseRoleLabel => DeployTier.Replicas,
        "load-balancer" => DeployTier.LoadBalancer,
        "web" => DeployTier.Web,
        "router" => DeployTier.Router,
        RouterStack.KeepalivedRoleLabel => DeployTier.RouterVip,
        "primary" => DeployTier.Primary,
        "replica" => DeployTier.Replicas,
        _ => DeployTier.Network,
    };

    /// <summary>Builds the desired containers; <see cref="Unsupported"/> must be empty for the topology.</summary>
    public static DesiredStack Build(TopologySpec spec, DeploySettings settings, StackSecrets secrets)
    {
        var network = NetworkName(spec.Name);
        var sqlNetwork = SqlNetworkName(spec.Name);
        var db = spec.Database;
        var primary = db.Primary ?? throw new ArgumentException("The topology has no primary database.", nameof(spec));
        var containers = ImmutableArray.CreateBuilder<DesiredContainer>();
        var volumes = ImmutableArray.CreateBuilder<DesiredVolume>();

        // Every database node gets the same environment and a file that names no role: the primary is chosen by
        // the bootstrap (and later by switchover/failover), so a changed primary recreates nothing.
        var dbSecretEnv = ImmutableSortedDictionary<string, string>.Empty
            .Add(StackSecrets.ReplicationVariable, secrets.ReplicationPassword)
            .Add(StackSecrets.AppVariable, secrets.AppPassword)
            .Add(StackSecrets.MonitorVariable, secrets.MonitorPassword)
            .Add(StackSecrets.AdminVariable, secrets.AdminPassword);
        foreach (var (node, role) in db.Replicas.Select(r => (r, NodeRole.Replica)).Prepend((primary, NodeRole.Primary)))
        {
            var volume = VolumeName(spec.Name, node.Name);
            volumes.Add(new DesiredVolume(volume, node.Name));
            containers.Add(Container(spec, node.Name, role, settings.DatabaseImage, network,
                env: ImmutableSortedDictionary<string, string>.Empty,
                dbSecretEnv,
                files: [new ContainerFile(MyCnfPath, Rendering.MyCnfRenderer.Render(spec, node.Name))],
                ports: [],
                volumes: [new VolumeMount(volume, "/var/lib/mysql")]) with { SqlAliases = DatabaseAliases(db, node.Name) });
        }

        containers.AddRange(RouterStack.Containers(spec, settings, secrets, network, c => Container(spec, c,
            ImmutableSortedDictionary<string, string>.Empty, ImmutableSortedDictionary<string, string>.Empty, ports: [], volumes: [])));

        var routerHost = RouterStack.ClientHost(spec);
        foreach (var web in spec.Web.Nodes)
        {
            // The web node's own settings (Portal/WebNode/README.md), as environment variables.
            var env = ImmutableSortedDictionary<string, string>.Empty
                .Add("Node__Name", web.Name)
                .Add("Blog__ReadYourWritesSeconds", spec.Web.ReadYourWritesSeconds.ToString(CultureInfo.InvariantCulture));
            // Without a router: writes to whichever node holds the writer alias, reads spread over the replicas; the aliases
            // move, the connection strings (and so the web containers) stay. With one: everything to ProxySQL, which
            // splits reads from writes by its query rules and follows the primary by read_only.
            var secretEnv = routerHost is null
                ? ImmutableSortedDictionary<string, string>.Empty
                    .Add("ConnectionStrings__App", AppConnectionString(db, WriterAlias, Rendering.StackPorts.Database, secrets))
                    .Add("ConnectionStrings__AppRead", AppConnectionString(db, ReaderAlias, Rendering.StackPorts.Database, secrets))
                : ImmutableSortedDictionary<string, string>.Empty
                    .Add("ConnectionStrings__App", AppConnectionString(db, routerHost, Rendering.StackPorts.ProxySqlMysql, secrets));
            containers.Add(Container(spec, web.Name, NodeRole.Web, settings.WebImage, network, env, secretEnv,
                files: [], ports: [], volumes: []) with { SqlAliases = [] });
        }

        var lb = spec.LoadBalancer;
        // haproxy.cfg binds the published port numbers inside the container too, so each maps to itself.
        var ports = ImmutableArray.Create(new PublishedPort(lb.PublishPort, settings.PublishAddress, lb.PublishPort));
        if (lb.Stats.Enabled) ports = ports.Add(new PublishedPort(lb.Stats.PublishPort, "127.0.0.1", lb.Stats.PublishPort));
        containers.Add(Container(spec, LoadBalancerNode, NodeRole.LoadBalancer, settings.LoadBalancerImage, network,
            ImmutableSortedDictionary<string, string>.Empty, ImmutableSortedDictionary<string, string>.Empty,
            files: [new ContainerFile(HaproxyCfgPath, Rendering.HaproxyRenderer.Render(spec))],
            ports, volumes: []));

        return new DesiredStack(spec, network, sqlNetwork, volumes.ToImmutable(), containers.ToImmutable())
        {
            SqlSubnet = RouterStack.SqlSubnet(spec),
            RouterAdmin = RouterStack.HasRouter(spec) ? RouterStack.AdminLogin(secrets) : null,
        };
    }

    private static string AppConnectionString(DatabaseSpec db, string host, int port, StackSecrets secrets) =>
        $"Server={host};Port={port};Database={db.AppSchema};User ID={db.AppUser};Password={secrets.AppPassword}";

    /// <summary>Why this topology cannot be deployed by this version, one line per reason; empty when it can.</summary>
    public static ImmutableArray<string> Unsupported(TopologySpec spec)
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        problems.AddRange(RouterStack.Unsupported(spec));
        if (spec.Database.Flavor != DatabaseFlavor.MariaDb)
            problems.Add($"database.flavor: only mariadb is deployed so far, not {spec.Database.Flavor}.");
        if (spec.Database.Primary is null)
            problems.Add("database.primary: a deploy needs a primary database.");
        problems.AddRange(Rendering.MyCnfRenderer.ServerIdClashes(spec.Database).Select(p => "database: " + p));
        return problems.ToImmutable();
    }

    public static IReadOnlyDictionary<string, string> NetworkLabels(string topology) =>
        new Dictionary<string, string> { [EngineLabels.Topology] = topology, [EngineLabels.Role] = "network" };

    public static IReadOnlyDictionary<string, string> VolumeLabels(string topology, string node) =>
        new Dictionary<string, string> { [EngineLabels.Topology] = topology, [EngineLabels.Role] = "data", [EngineLabels.Node] = node };

    private static DesiredContainer Container(
        TopologySpec spec, string node, NodeRole role, string image, string network,
        ImmutableSortedDictionary<string, string> env, ImmutableSortedDictionary<string, string> secretEnv,
        ImmutableArray<ContainerFile> files, ImmutableArray<PublishedPort> ports, ImmutableArray<VolumeMount> volumes)
    {
        var tier = role switch
        {
            NodeRole.Primary => DeployTier.Primary,
            NodeRole.Replica => DeployTier.Replicas,
            NodeRole.Router => DeployTier.Router,
            NodeRole.Web => DeployTier.Web,
            _ => DeployTier.LoadBalancer,
        };
        return Container(spec, new ContainerSpec(node, role, tier, image, network, files), env, secretEnv, ports, volumes);
    }

    private static DesiredContainer Container(
        TopologySpec spec, ContainerSpec c,
        ImmutableSortedDictionary<string, string> env, ImmutableSortedDictionary<string, string> secretEnv,
        ImmutableArray<PublishedPort> ports, ImmutableArray<VolumeMount> volumes)
    {
        var (node, role, image, network, files) = (c.Node, c.Role, c.Image, c.Network, c.Files);
        var configHash = Hash(files.OrderBy(f => f.Path, StringComparer.Ordinal).Select(f => $"{f.Path}\0{f.Mode}\0{f.Content}"));
        var settingsHash = Hash(
            [
                $"image={image}",
                $"network={network}",
                .. env.Select(kv => $"env {kv.Key}={kv.Value}"),
                // A one-way fingerprint of each secret: a changed password recreates its users, the value never shows.
                .. secretEnv.Select(kv => $"secret {kv.Key}={Hash([kv.Value])}"),
                .. ports.Select(p => $"port {p.ContainerPort} {p.HostAddress}:{p.HostPort}"),
                .. volumes.Select(v => $"volume {v.Volume}:{v.ContainerPath}"),
                // Only when set, so the hashes of containers without them stay what they were.
                .. c.Command is { } command ? [$"command {string.Join('\0', command)}"] : Array.Empty<string>(),
                .. c.NetworkMode is { } mode ? [$"network-mode {mode}"] : Array.Empty<string>(),
                .. c.CapAdd.IsDefaultOrEmpty ? Array.Empty<string>() : [$"cap-add {string.Join(',', c.CapAdd)}"],
            ]);
        var definition = new ContainerDefinition
        {
            Name = ContainerName(spec.Name, node),
            Hostname = node,
            Image = image,
            Network = network,
            NetworkAliases = [node],
            Labels = ImmutableDictionary<string, string>.Empty
                .Add(EngineLabels.Topology, spec.Name)
                .Add(EngineLabels.Role, c.RoleLabel ?? RoleLabel(role))
                .Add(EngineLabels.Node, node)
                .Add(EngineLabels.Image, image)
                .Add(EngineLabels.ConfigHash, configHash)
                .Add(EngineLabels.SettingsHash, settingsHash),
            Environment = env,
            SecretEnvironment = secretEnv,
            Ports = ports,
            Volumes = volumes,
            Command = c.Command,
            NetworkMode = c.NetworkMode,
            CapAdd = c.CapAdd.IsDefault ? [] : c.CapAdd,
        };
        return new DesiredContainer(node, role, c.Tier, definition, files, configHash, settingsHash);
    }

    private static string Hash(IEnumerable<string> parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))))[..16];
}
