using System.Net.Sockets;
using System.Text;

namespace HaPortal.Core.Haproxy;

/// <summary>
/// One command on an HAProxy CLI (runtime API or master CLI) in non-interactive mode: connect, send the line, read
/// the reply until HAProxy closes the connection. A connection per command keeps no state between callers.
/// </summary>
internal static class HaproxyCli
{
    public static async Task<string> SendAsync(HaproxyEndpoint endpoint, string command, CancellationToken ct)
    {
        if (command.Contains('\n') || command.Contains(';'))
            throw new ArgumentException($"One command per call, without ';' or newline: '{command}'.", nameof(command));
        Socket socket;
        try
        {
            socket = await endpoint.ConnectAsync(ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new HaproxyUnreachableException(endpoint, command, e);
        }
        using (socket)
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), SocketFlags.None, ct).ConfigureAwait(false);
            var reply = new MemoryStream();
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
                if (n == 0) break;
                reply.Write(buffer, 0, n);
            }
            return Encoding.UTF8.GetString(reply.GetBuffer(), 0, (int)reply.Length);
        }
    }
}

/// <summary>HAProxy refused a runtime command; <see cref="Reply"/> is its own words.</summary>
public sealed class HaproxyCommandException(string command, string reply)
    : Exception($"HAProxy refused '{command}': {reply.Trim()}")
{
    public string Command { get; } = command;
    public string Reply { get; } = reply.Trim();
}

/// <summary>Nothing answers at the runtime endpoint (HAProxy stopped, wrong path or port).</summary>
public sealed class HaproxyUnreachableException(HaproxyEndpoint endpoint, string command, Exception inner)
    : Exception($"Cannot reach the HAProxy CLI at {endpoint} to run '{command}': {inner.Message}", inner)
{
    public HaproxyEndpoint Endpoint { get; } = endpoint;
}
