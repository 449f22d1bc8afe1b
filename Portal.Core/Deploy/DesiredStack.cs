using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Deploy;

/// <summary>Dependency order of a deploy; within a tier, steps run in parallel. Images are pulled before anything is created.</summary>
public enum DeployTier { Images = -1, Network = 0, Primary = 1, Replicas = 2, Router = 3, Web = 4, LoadBalancer = 5 }

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
    ImmutableArray<string>? SqlAliases = null);

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
        "primary" => DeployTier.Primary,
        "replica" => DeployTier.Replicas,
        _ => DeployTier.Network,
    };

    /// <summary>
    /// Builds the desired containers. A router tier is not deployed yet: with one, the web nodes would
    /// still be given the primary, so such a topology is refused by <see cref="Unsupported"/> first.
    /// </summary>
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
            containers.Add(Container(spec, settings, node.Name, role, settings.DatabaseImage, network,
                env: ImmutableSortedDictionary<string, string>.Empty,
                dbSecretEnv,
                files: [new ContainerFile(MyCnfPath, Rendering.MyCnfRenderer.Render(spec, node.Name))],
                ports: [],
                volumes: [new VolumeMount(volume, "/var/lib/mysql")]) with { SqlAliases = DatabaseAliases(db, node.Name) });
        }

        foreach (var web in spec.Web.Nodes)
        {
            // The web node's own settings (Portal/WebNode/README.md), as environment variables.
            var env = ImmutableSortedDictionary<string, string>.Empty
                .Add("Node__Name", web.Name)
                .Add("Blog__ReadYourWritesSeconds", spec.Web.ReadYourWritesSeconds.ToString(CultureInfo.InvariantCulture));
            // Writes to whichever node holds the writer alias, reads spread over the replicas: the aliases move, the
            // connection strings (and so the web containers) stay.
            var secretEnv = ImmutableSortedDictionary<string, string>.Empty
                .Add("ConnectionStrings__App", AppConnectionString(db, WriterAlias, secrets))
                .Add("ConnectionStrings__AppRead", AppConnectionString(db, ReaderAlias, secrets));
            containers.Add(Container(spec, settings, web.Name, NodeRole.Web, settings.WebImage, network, env, secretEnv,
                files: [], ports: [], volumes: []) with { SqlAliases = [] });
        }

        var lb = spec.LoadBalancer;
        // haproxy.cfg binds the published port numbers inside the container too, so each maps to itself.
        var ports = ImmutableArray.Create(new PublishedPort(lb.PublishPort, settings.PublishAddress, lb.PublishPort));
        if (lb.Stats.Enabled) ports = ports.Add(new PublishedPort(lb.Stats.PublishPort, "127.0.0.1", lb.Stats.PublishPort));
        containers.Add(Container(spec, settings, LoadBalancerNode, NodeRole.LoadBalancer, settings.LoadBalancerImage, network,
            ImmutableSortedDictionary<string, string>.Empty, ImmutableSortedDictionary<string, string>.Empty,
            files: [new ContainerFile(HaproxyCfgPath, Rendering.HaproxyRenderer.Render(spec))],
            ports, volumes: []));

        return new DesiredStack(spec, network, sqlNetwork, volumes.ToImmutable(), containers.ToImmutable());
    }

    private static string AppConnectionString(DatabaseSpec db, string host, StackSecrets secrets) =>
        $"Server={host};Port=3306;Database={db.AppSchema};User ID={db.AppUser};Password={secrets.AppPassword}";

    /// <summary>Why this topology cannot be deployed by this version, one line per reason; empty when it can.</summary>
    public static ImmutableArray<string> Unsupported(TopologySpec spec)
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        if (spec.SqlRouter is { Nodes.Length: > 0 })
            problems.Add("sqlRouter: deploying a ProxySQL tier is not implemented yet; remove sqlRouter to deploy web nodes against the primary.");
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
        TopologySpec spec, DeploySettings settings, string node, NodeRole role, string image, string network,
        ImmutableSortedDictionary<string, string> env, ImmutableSortedDictionary<string, string> secretEnv,
        ImmutableArray<ContainerFile> files, ImmutableArray<PublishedPort> ports, ImmutableArray<VolumeMount> volumes)
    {
        _ = settings;
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
                .Add(EngineLabels.Role, RoleLabel(role))
                .Add(EngineLabels.Node, node)
                .Add(EngineLabels.Image, image)
                .Add(EngineLabels.ConfigHash, configHash)
                .Add(EngineLabels.SettingsHash, settingsHash),
            Environment = env,
            SecretEnvironment = secretEnv,
            Ports = ports,
            Volumes = volumes,
        };
        var tier = role switch
        {
            NodeRole.Primary => DeployTier.Primary,
            NodeRole.Replica => DeployTier.Replicas,
            NodeRole.Router => DeployTier.Router,
            NodeRole.Web => DeployTier.Web,
            _ => DeployTier.LoadBalancer,
        };
        return new DesiredContainer(node, role, tier, definition, files, configHash, settingsHash);
    }

    private static string Hash(IEnumerable<string> parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))))[..16];
}
