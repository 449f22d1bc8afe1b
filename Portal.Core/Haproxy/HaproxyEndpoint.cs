using System.Net;
using System.Net.Sockets;

namespace HaPortal.Core.Haproxy;

/// <summary>
/// Where an HAProxy CLI listens: a unix socket path (<c>/run/haproxy/admin.sock</c>, <c>unix@/path</c>) or a TCP
/// address (<c>ipv4@127.0.0.1:9999</c>, <c>127.0.0.1:9999</c>, <c>host:9999</c>). Same syntax HAProxy uses for
/// <c>stats socket</c>, so the value can be copied from a config.
/// </summary>
public sealed record HaproxyEndpoint
{
    private HaproxyEndpoint(string text, string? unixPath, string? host, int port, string? container = null)
    {
        Text = text;
        UnixPath = unixPath;
        Host = host;
        Port = port;
        Container = container;
    }

    public string Text { get; }
    public string? UnixPath { get; }
    public string? Host { get; }
    public int Port { get; }

    /// <summary>
    /// Set when the CLI listens inside a container and is reached through the engine's exec (a deployed load balancer,
    /// docs/decisions/0013-operating-a-deployed-load-balancer.md); <see cref="Host"/>/<see cref="Port"/> are then the
    /// container's own loopback address, not one the portal can connect to.
    /// </summary>
    public string? Container { get; }

    /// <summary>A TCP CLI on the loopback of <paramref name="container"/>, reached through the engine.</summary>
    public static HaproxyEndpoint InContainer(string container, string host, int port) =>
        new($"{container}: ipv4@{host}:{port} (through the engine)", null, host, port, container);

    public static HaproxyEndpoint Unix(string path) => new(path, path, null, 0);

    public static HaproxyEndpoint Tcp(string host, int port) => new($"ipv4@{host}:{port}", null, host, port);

    /// <summary>Parses an endpoint; returns null and a reason when the text is neither a path nor host:port.</summary>
    public static HaproxyEndpoint? TryParse(string? text, out string? error)
    {
        error = null;
        var value = text?.Trim() ?? "";
        if (value.Length == 0)
        {
            error = "give a unix socket path or host:port (ipv4@127.0.0.1:9999).";
            return null;
        }
        if (value.StartsWith("unix@", StringComparison.Ordinal)) return Unix(value["unix@".Length..]);
        if (value.StartsWith('/') || value.StartsWith("./", StringComparison.Ordinal)) return Unix(value);
        foreach (var prefix in new[] { "ipv4@", "tcp@", "tcp4@" })
            if (value.StartsWith(prefix, StringComparison.Ordinal)) value = value[prefix.Length..];
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], out var port) || port is < 1 or > 65535)
        {
            error = $"'{text}' is neither a socket path (starting with /) nor host:port with a port 1–65535.";
            return null;
        }
        return Tcp(value[..colon], port);
    }

    public static HaproxyEndpoint Parse(string text) =>
        TryParse(text, out var error) ?? throw new FormatException($"HAProxy endpoint: {error}");

    internal async Task<Socket> ConnectAsync(CancellationToken ct)
    {
        if (Container is not null)
            throw new InvalidOperationException($"{Text} is inside a container: reach it through the engine, not a socket.");
        Socket socket;
        EndPoint target;
        if (UnixPath is not null)
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            target = new UnixDomainSocketEndPoint(UnixPath);
        }
        else
        {
            var address = IPAddress.TryParse(Host, out var ip) ? ip
                : (await Dns.GetHostAddressesAsync(Host!, AddressFamily.InterNetwork, ct).ConfigureAwait(false))[0];
            socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            target = new IPEndPoint(address, Port);
        }
        try
        {
            await socket.ConnectAsync(target, ct).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override string ToString() => Text;
}
