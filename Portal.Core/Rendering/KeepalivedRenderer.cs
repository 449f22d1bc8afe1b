using System.Text;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Rendering;

public sealed record KeepalivedRenderOptions
{
    /// <summary>The interface of the router container that carries the virtual IP.</summary>
    public string Interface { get; init; } = "eth0";
}

/// <summary>
/// Renders keepalived.conf for each router node when the router tier has a virtual IP. keepalived runs in the
/// network namespace of its ProxySQL node (the VIP must land where ProxySQL listens), so it checks 127.0.0.1.
/// </summary>
public static class KeepalivedRenderer
{
    public const int TopPriority = 150;
    public const int PriorityStep = 10;

    /// <summary>Names of the router nodes that get a keepalived.conf: all of them when a VIP is set, else none.</summary>
    public static IEnumerable<string> Nodes(TopologySpec spec) =>
        spec.SqlRouter is { VirtualIp: not null } router ? router.Nodes.Select(n => n.Name) : [];

    public static string Render(TopologySpec spec, string nodeName, StackSecrets secrets, KeepalivedRenderOptions? options = null)
    {
        options ??= new KeepalivedRenderOptions();
        var router = spec.SqlRouter ?? throw new ArgumentException($"Topology '{spec.Name}' has no sqlRouter.", nameof(spec));
        var vip = router.VirtualIp ?? throw new ArgumentException($"Topology '{spec.Name}' has no sqlRouter.virtualIp.", nameof(spec));
        var index = router.Nodes.Select(n => n.Name).ToList().IndexOf(nodeName);
        if (index < 0) throw new ArgumentException($"'{nodeName}' is not a router node of topology '{spec.Name}'.", nameof(nodeName));
        if (secrets.VrrpPassword.Length is 0 or > StackSecrets.VrrpPasswordLength)
            throw new ArgumentException($"The VRRP password must have 1 to {StackSecrets.VrrpPasswordLength} characters; keepalived ignores the rest.", nameof(secrets));

        var b = new StringBuilder();
        b.AppendLine($"# keepalived.conf for {nodeName} of topology '{spec.Name}', rendered by HaPortal.");
        b.AppendLine($"# Holds the virtual IP {vip} in front of the ProxySQL nodes.");
        b.AppendLine("global_defs {");
        b.AppendLine($"    router_id {nodeName}");
        b.AppendLine("    script_user root");
        b.AppendLine("    enable_script_security");
        b.AppendLine("}");
        b.AppendLine();
        // bash (essential in every Debian image) opens a TCP connection to ProxySQL's MySQL port: the check fails
        // when ProxySQL stops accepting clients, not only when its process is gone. /bin/sh (dash) has no /dev/tcp,
        // and killall/pidof are not in a minimal image.
        b.AppendLine("vrrp_script chk_proxysql {");
        b.AppendLine($"    script \"/bin/bash -c '</dev/tcp/127.0.0.1/{StackPorts.ProxySqlMysql}'\"");
        b.AppendLine("    interval 2");
        b.AppendLine("    timeout 2");
        b.AppendLine("    fall 2");
        b.AppendLine("    rise 2");
        b.AppendLine("}");
        b.AppendLine();
        // Every node starts BACKUP with nopreempt: the highest priority wins the first election, and a node that
        // comes back later does not take the VIP back, which would cut every client connection a second time.
        b.AppendLine("vrrp_instance VI_PROXYSQL {");
        b.AppendLine("    state BACKUP");
        b.AppendLine($"    interface {options.Interface}");
        b.AppendLine($"    virtual_router_id {VirtualRouterId(spec.Name)}");
        b.AppendLine($"    priority {Priority(index)}");
        b.AppendLine("    advert_int 1");
        b.AppendLine("    nopreempt");
        b.AppendLine("    authentication {");
        b.AppendLine("        auth_type PASS");
        b.AppendLine($"        auth_pass {secrets.VrrpPassword}");
        b.AppendLine("    }");
        b.AppendLine("    virtual_ipaddress {");
        b.AppendLine($"        {vip}");
        b.AppendLine("    }");
        b.AppendLine("    track_script {");
        b.AppendLine("        chk_proxysql");
        b.AppendLine("    }");
        b.AppendLine("}");
        return b.ToString();
    }

    /// <summary>Priority of the node at <paramref name="index"/> in the router list: 150, 140, … (never below 1).</summary>
    public static int Priority(int index) => Math.Max(1, TopPriority - PriorityStep * index);

    /// <summary>
    /// A VRRP router id (1–255) derived from the topology name with FNV-1a, so it is the same on every render and
    /// every machine (string.GetHashCode is randomised per process).
    /// </summary>
    public static int VirtualRouterId(string topologyName)
    {
        var hash = 2166136261u;
        foreach (var octet in Encoding.UTF8.GetBytes(topologyName))
        {
            hash ^= octet;
            hash *= 16777619u;
        }
        return (int)(hash % 255) + 1;
    }
}
