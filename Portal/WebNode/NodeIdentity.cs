using System.Net;

namespace HaPortal.WebNode;

/// <summary>Which web node this is: Node:Name (default the host name) and the local address that took the request.</summary>
public sealed class NodeIdentity(IConfiguration configuration)
{
    public string Name { get; } = configuration["Node:Name"] is { Length: > 0 } name ? name : Environment.MachineName;

    public static string AddressOf(HttpContext context)
    {
        var ip = context.Connection.LocalIpAddress;
        if (ip is null) return "unknown";
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{ip}]:{context.Connection.LocalPort}"
            : new IPEndPoint(ip, context.Connection.LocalPort).ToString();
    }
}
