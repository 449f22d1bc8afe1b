using System.Net.Sockets;
using System.Text;

namespace HaPortal.Core.Haproxy;

/// <summary>
/// One command on an HAProxy CLI (runtime API or master CLI) in non-interactive mode: connect, send the line, read
/// the reply until HAProxy closes the connection. A connection per command keeps no state between callers.
/// </summary>
internal static class HaproxyCli
{
    /// <summary>A CLI that accepts the connection but never answers must not hang a page or a command.</summary>
    internal static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    public static async Task<string> SendAsync(HaproxyEndpoint endpoint, string command, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ReplyTimeout);
        try
        {
            return await ExchangeAsync(endpoint, command, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new HaproxyUnreachableException(endpoint, command, new TimeoutException($"no complete reply within {ReplyTimeout.TotalSeconds:0} s"));
        }
        catch (SocketException e)
        {
            // Refused or reset: HAProxy stopped, or its master is re-executing during a reload.
            throw new HaproxyUnreachableException(endpoint, command, e);
        }
    }

    private static async Task<string> ExchangeAsync(HaproxyEndpoint endpoint, string command, CancellationToken ct)
    {
        if (command.Contains('\n') || command.Contains(';'))
            throw new ArgumentException($"One command per call, without ';' or newline: '{command}'.", nameof(command));
        using (var socket = await endpoint.ConnectAsync(ct).ConfigureAwait(false))
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), SocketFlags.None, ct).ConfigureAwait(false);
            // The master CLI answers only once the request side is closed; the runtime API does not mind.
            socket.Shutdown(SocketShutdown.Send);
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
