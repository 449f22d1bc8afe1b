using HaPortal.Core.Blog;

namespace HaPortal.WebNode;

/// <summary>
/// Creates the blog schema in the background, retrying until the database answers, so a web node can start
/// before its database (its /health says 503 meanwhile) and several nodes can start at once.
/// Between attempts it backs off (up to 10 s), but a health check that finds it not ready wakes it at once
/// (<see cref="RetryNow"/>): whoever is about to send traffic — HAProxy, or the deploy waiting for this node — sets
/// the pace while it asks, and nobody waits out a long backoff after the database came up. (A deploy of 8 web
/// nodes saw them become healthy 2–5 s after their primary, each in the middle of its backoff.)
/// </summary>
public sealed class SchemaInitializer : BackgroundService
{
    private readonly Func<CancellationToken, Task<bool>> _ensure;
    private readonly TimeProvider _time;
    private readonly ILogger<SchemaInitializer> _logger;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // At most one wake-up is held: several health checks during one backoff make one attempt, not several.
    private readonly SemaphoreSlim _wake = new(0, 1);

    public SchemaInitializer(BlogConnections connections, TimeProvider time, ILogger<SchemaInitializer> logger)
        : this(ct => BlogSchema.EnsureAsync(connections.Write, time, ct), time, logger)
    {
    }

    /// <param name="ensure">Creates the schema if absent; true when it seeded the posts.</param>
    internal SchemaInitializer(Func<CancellationToken, Task<bool>> ensure, TimeProvider time, ILogger<SchemaInitializer> logger)
    {
        _ensure = ensure;
        _time = time;
        _logger = logger;
    }

    /// <summary>Completes once the schema exists.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Ends the current backoff now, so the next attempt does not wait for its delay; nothing once ready.</summary>
    public void RetryNow()
    {
        if (_ready.Task.IsCompleted) return;
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is already pending.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Short first: a deploy starts web nodes beside their database, which answers a second or two later.
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var seeded = await _ensure(stoppingToken);
                WebNodeLog.SchemaReady(_logger, seeded);
                _ready.TrySetResult();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                WebNodeLog.SchemaRetry(_logger, TransientRetry.Describe(e), delay.TotalSeconds);
                await WaitAsync(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 3 / 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    // Until the delay passes or RetryNow is called, whichever comes first.
    private async Task WaitAsync(TimeSpan delay, CancellationToken ct)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var woken = _wake.WaitAsync(either.Token);
        var elapsed = Task.Delay(delay, _time, either.Token);
        await Task.WhenAny(woken, elapsed);
        await either.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }
}
