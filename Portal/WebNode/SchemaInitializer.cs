using HaPortal.Core.Blog;

namespace HaPortal.WebNode;

/// <summary>
/// Creates the blog schema in the background, retrying until the database answers, so a web node can start
/// before its database (its /health says 503 meanwhile) and several nodes can start at once.
/// </summary>
public sealed class SchemaInitializer(BlogConnections connections, TimeProvider time, ILogger<SchemaInitializer> logger) : BackgroundService
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the schema exists.</summary>
    public Task Ready => _ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Short first: a deploy starts web nodes beside their database, which answers a second or two later.
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var seeded = await BlogSchema.EnsureAsync(connections.Write, time, stoppingToken);
                WebNodeLog.SchemaReady(logger, seeded);
                _ready.TrySetResult();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                WebNodeLog.SchemaRetry(logger, TransientRetry.Describe(e), delay.TotalSeconds);
                await Task.Delay(delay, time, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 3 / 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }
}
