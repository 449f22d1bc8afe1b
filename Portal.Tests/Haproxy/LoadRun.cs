using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace HaPortal.Tests.Haproxy;

/// <summary>A bounded concurrent load on loopback: <c>clients</c> workers share <c>requests</c> GETs, each a fresh visitor.</summary>
internal sealed record LoadResult(int Succeeded, IReadOnlyList<string> Failures, TimeSpan P99)
{
    public static async Task<LoadResult> RunAsync(Uri url, int clients, int requests, CancellationToken ct)
    {
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var remaining = requests;
        var succeeded = 0;
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(20) };
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.GetAsync("/", ct);
                    var body = await response.Content.ReadAsStringAsync(ct);
                    if (response.IsSuccessStatusCode && body.StartsWith("backend ", StringComparison.Ordinal)) Interlocked.Increment(ref succeeded);
                    else failures.Enqueue($"{(int)response.StatusCode}: {body}");
                }
                catch (HttpRequestException e)
                {
                    failures.Enqueue(e.Message);
                }
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        var sorted = latencies.Order().ToArray();
        var p99 = sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.99) - 1)];
        return new(succeeded, failures.ToArray(), TimeSpan.FromMilliseconds(p99));
    }

    /// <summary>
    /// Like <see cref="RunAsync"/> but over raw HTTP/1.1 keep-alive connections that never retry, the way wrk or a
    /// simple client behaves: HttpClient silently resends a request whose reused connection was closed, which would
    /// hide a server closing idle connections at a reload. A connection HAProxy marks "Connection: close" is reopened.
    /// </summary>
    public static async Task<LoadResult> RunRawKeepAliveAsync(int port, int clients, int requests, CancellationToken ct)
    {
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var remaining = requests;
        var succeeded = 0;
        var request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            TcpClient? tcp = null;
            try
            {
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    if (tcp is null)
                    {
                        tcp = new TcpClient { NoDelay = true };
                        await tcp.ConnectAsync("127.0.0.1", port, ct);
                    }
                    var (ok, close, error) = await ExchangeAsync(tcp.GetStream(), request, ct);
                    if (ok) Interlocked.Increment(ref succeeded);
                    else failures.Enqueue(error!);
                    if (close || !ok)
                    {
                        tcp.Dispose();
                        tcp = null;
                    }
                }
            }
            finally
            {
                tcp?.Dispose();
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        return new(succeeded, failures.ToArray(), TimeSpan.Zero);
    }

    private static async Task<(bool Ok, bool Close, string? Error)> ExchangeAsync(NetworkStream stream, byte[] request, CancellationToken ct)
    {
        try
        {
            await stream.WriteAsync(request, ct);
            var buffer = new byte[8192];
            var received = 0;
            int headerEnd;
            while ((headerEnd = IndexOf(buffer, received, "\r\n\r\n"u8)) < 0)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(received), ct);
                if (n == 0) return (false, true, received == 0 ? "connection closed before any response" : "connection closed inside the headers");
                received += n;
            }
            var headers = Encoding.ASCII.GetString(buffer, 0, headerEnd);
            var length = headers.Split("\r\n").Where(h => h.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase))
                .Select(h => int.Parse(h[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).Single();
            while (received < headerEnd + 4 + length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(received), ct);
                if (n == 0) return (false, true, "connection closed inside the body");
                received += n;
            }
            var ok = headers.StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
            var close = headers.Contains("connection: close", StringComparison.OrdinalIgnoreCase);
            return (ok, close, ok ? null : headers.Split("\r\n")[0]);
        }
        catch (IOException e)
        {
            return (false, true, e.Message);
        }
    }

    private static int IndexOf(byte[] buffer, int length, ReadOnlySpan<byte> value) => buffer.AsSpan(0, length).IndexOf(value);
}
