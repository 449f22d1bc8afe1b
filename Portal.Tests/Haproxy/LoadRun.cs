using System.Diagnostics;

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
}
