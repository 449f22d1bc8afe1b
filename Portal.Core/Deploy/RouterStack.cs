using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using HaPortal.Core.Docker;
using HaPortal.Core.Rendering;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Deploy;

/// <summary>
/// The SQL router tier of a Docker deploy (docs/decisions/0011-router-tier-keepalived-beside-proxysql.md): one ProxySQL
/// container per router node, configured by a rendered proxysql.cnf, and with a virtual IP one keepalived container per
/// node, sharing that node's network namespace, so the address lands where ProxySQL listens. Web nodes connect to the
/// virtual IP, or to the single router node when there is none.
/// </summary>
public static class RouterStack
{
    /// <summary>Role label of the keepalived containers (the ProxySQL ones carry "router").</summary>
    public const string KeepalivedRoleLabel = "router-vip";

    /// <summary>Read by ProxySQL on a start with an empty datadir; every container is created fresh, so every start.</summary>
    public const string ProxySqlCnfPath = "/etc/proxysql.cnf";

    /// <summary>keepalived.conf with the interface still a placeholder; the container's command fills it in at start.</summary>
    public const string KeepalivedTemplatePath = "/etc/keepalived/keepalived.conf.in";

    public const string KeepalivedConfPath = "/etc/keepalived/keepalived.conf";

    /// <summary>The portal's own ProxySQL admin user: ProxySQL lets its built-in "admin" in from localhost only.</summary>
    public const string AdminUser = "portal";

    private const string InterfacePlaceholder = "HAPORTAL_VIP_INTERFACE";

    /// <summary>keepalived needs these to add an address and send VRRP adverts.</summary>
    public static readonly ImmutableArray<string> KeepalivedCapabilities = ["NET_ADMIN", "NET_RAW", "NET_BROADCAST"];

    public static bool HasRouter(TopologySpec spec) => spec.SqlRouter is { Nodes.Length: > 0 };

    /// <summary>Node name of the keepalived container beside a router node.</summary>
    public static string KeepalivedNode(string routerNode) => $"{routerNode}-vip";

    /// <summary>Where web nodes connect (port <see cref="StackPorts.ProxySqlMysql"/>): the virtual IP, else the only router node; null without a router.</summary>
    public static string? ClientHost(TopologySpec spec) =>
        spec.SqlRouter is { Nodes.Length: > 0 } router ? router.VirtualIp ?? router.Nodes[0].Name : null;

    /// <summary>
    /// The sql network's address pool when the router has a virtual IP: the /24 that holds it, containers given only the
    /// half without it, so the engine never hands the virtual IP to a container.
    /// </summary>
    public static NetworkSubnet? SqlSubnet(TopologySpec spec)
    {
        if (spec.SqlRouter is not { VirtualIp: { } vip } || !TryOctets(vip, out var o)) return null;
        var prefix = $"{o[0]}.{o[1]}.{o[2]}";
        var range = o[3] >= 128 ? $"{prefix}.0/25" : $"{prefix}.128/25";
        return new NetworkSubnet($"{prefix}.0/24", range, $"{prefix}.1");
    }

    /// <summary>Why this version cannot deploy the topology's router tier, field first; empty when it can.</summary>
    public static ImmutableArray<string> Unsupported(TopologySpec spec)
    {
        if (spec.SqlRouter is not { } router) return [];
        var problems = ImmutableArray.CreateBuilder<string>();
        // Two or more nodes without a virtual IP: refused by the topology validator already.
        if (router.VirtualIp is { } vip && TryOctets(vip, out var o) && o[3] is 0 or 1 or 255)
            problems.Add($"sqlRouter.virtualIp: {vip} is the network, gateway or broadcast address of {o[0]}.{o[1]}.{o[2]}.0/24, which the deploy gives the sql network; pick another last number (2–254).");
        return problems.ToImmutable();
    }

    /// <summary>
    /// What the plan must not run over: an existing sql network whose address pool does not hold the virtual IP (made
    /// before the virtual IP was set or changed). Networks cannot change their pool in place.
    /// </summary>
    public static ImmutableArray<string> PlanProblems(DesiredStack desired, ObservedStack observed)
    {
        if (desired.SqlSubnet is not { } want) return [];
        var have = observed.Networks.FirstOrDefault(n => n.Name == desired.SqlNetwork);
        if (have is null || have.Subnet == want.Subnet) return [];
        return [$"sqlRouter.virtualIp: network {have.Name} exists with subnet {have.Subnet ?? "(chosen by the engine)"}, which cannot hold the virtual IP {desired.Spec.SqlRouter!.VirtualIp} ({want.Subnet}); destroy the stack and apply again, or pick a virtual IP in {have.Subnet}."];
    }

    /// <summary>
    /// The router's passwords, derived from the stack's replication password (HMAC-SHA256 with a purpose label): stable
    /// for as long as the stack's secrets are, stored nowhere else, and no way back to the replication password.
    /// </summary>
    public static Rendering.StackSecrets RenderSecrets(StackSecrets secrets) => new()
    {
        AppPassword = secrets.AppPassword,
        ReplicationUser = BootstrapSql.ReplicationUser,
        ReplicationPassword = secrets.ReplicationPassword,
        MonitorUser = BootstrapSql.MonitorUser,
        MonitorPassword = secrets.MonitorPassword,
        ProxySqlAdminUser = AdminUser,
        ProxySqlAdminPassword = Derive(secrets, "proxysql-admin", 32),
        VrrpPassword = Derive(secrets, "vrrp", Rendering.StackSecrets.VrrpPasswordLength),
    };

    public static RouterAdminLogin AdminLogin(StackSecrets secrets) => new(AdminUser, RenderSecrets(secrets).ProxySqlAdminPassword);

    /// <summary>The ProxySQL containers (tier Router) and, with a virtual IP, their keepalived neighbours (tier RouterVip).</summary>
    internal static IEnumerable<DesiredContainer> Containers(
        TopologySpec spec, DeploySettings settings, StackSecrets secrets, string network, Func<ContainerSpec, DesiredContainer> container)
    {
        if (spec.SqlRouter is not { Nodes.Length: > 0 } router) yield break;
        var rendered = RenderSecrets(secrets);
        var cnf = ProxySqlRenderer.RenderCnf(spec, rendered);
        var subnet = SqlSubnet(spec);
        foreach (var node in router.Nodes)
        {
            // On the stack network (named like its node: the db nodes and peers are reached by name there) and on the sql
            // network without an alias: the virtual IP is an address of that network.
            yield return container(new ContainerSpec(node.Name, NodeRole.Router, DeployTier.Router, settings.RouterImage, network,
                Files: [new ContainerFile(ProxySqlCnfPath, cnf, Mode: 0b110_000_000)])) with { SqlAliases = [] };
            if (router.VirtualIp is null || subnet is null) continue;
            var conf = KeepalivedRenderer.Render(spec, node.Name, rendered, new KeepalivedRenderOptions { Interface = InterfacePlaceholder });
            yield return container(new ContainerSpec(KeepalivedNode(node.Name), NodeRole.Router, DeployTier.RouterVip, settings.KeepalivedImage, network,
                Files: [new ContainerFile(KeepalivedTemplatePath, conf, Mode: 0b110_000_000)],
                Command: KeepalivedCommand(subnet),
                NetworkMode: $"container:{DesiredStackBuilder.ContainerName(spec.Name, node.Name)}",
                CapAdd: KeepalivedCapabilities,
                RoleLabel: KeepalivedRoleLabel));
        }
    }

    /// <summary>
    /// Interface names inside the shared namespace depend on the order the engine attached the networks, so the one that
    /// holds the sql subnet is looked up at start and written into keepalived.conf.
    /// </summary>
    private static ImmutableArray<string> KeepalivedCommand(NetworkSubnet subnet) =>
    [
        "sh", "-c",
        "iface=$(ip -o -4 addr show to \"$1\" | awk '{print $2; exit}'); "
        + "[ -n \"$iface\" ] || { echo \"no interface in $1\" >&2; exit 1; }; "
        + "sed \"s/$2/$iface/\" \"$3\" > \"$4\" && exec keepalived --dont-fork --log-console --use-file=\"$4\"",
        "keepalived", subnet.Subnet, InterfacePlaceholder, KeepalivedTemplatePath, KeepalivedConfPath,
    ];

    private static string Derive(StackSecrets secrets, string purpose, int length) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secrets.ReplicationPassword), Encoding.UTF8.GetBytes("haportal " + purpose)))[..length];

    private static bool TryOctets(string address, out int[] octets)
    {
        octets = [];
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || address.Count(c => c == '.') != 3)
            return false;
        octets = [.. ip.GetAddressBytes().Select(b => (int)b)];
        return true;
    }
}

/// <summary>The portal's ProxySQL admin user and password; <see cref="ToString"/> never shows the password.</summary>
public sealed record RouterAdminLogin(string User, string Password)
{
    public override string ToString() => $"RouterAdminLogin {{ User = {User}, Password = *** }}";
}

/// <summary>What the builder needs to make one container; the optional parts are the router tier's.</summary>
internal sealed record ContainerSpec(
    string Node,
    NodeRole Role,
    DeployTier Tier,
    string Image,
    string Network,
    ImmutableArray<ContainerFile> Files,
    ImmutableArray<string>? Command = null,
    string? NetworkMode = null,
    ImmutableArray<string> CapAdd = default,
    string? RoleLabel = null);
