using HaPortal.Tests.Infrastructure;
using HaPortal.WebNode;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace HaPortal.Tests.WebNode;

/// <summary>
/// The schema is retried with backoff until the database answers; a health check that finds it not ready makes the next
/// attempt happen at once instead of after the delay (time here is fake and never advances unless a test moves it).
/// </summary>
public sealed class SchemaInitializerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _time = new();
    private int _attempts;
    private int _failuresLeft;

    private SchemaInitializer Initializer(int failures)
    {
        _failuresLeft = failures;
        return new SchemaInitializer(_ =>
        {
            Interlocked.Increment(ref _attempts);
            return Interlocked.Decrement(ref _failuresLeft) >= 0
                ? Task.FromException<bool>(new InvalidOperationException("database not answering"))
                : Task.FromResult(true);
        }, _time, NullLogger<SchemaInitializer>.Instance);
    }

    private async Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10, Ct);
        Assert.True(condition());
    }

    [Fact]
    public async Task Failure_WaitsForTheBackoff_WhenNobodyAsks()
    {
        using var initializer = Initializer(failures: 1);
        await initializer.StartAsync(Ct);
        await UntilAsync(() => _attempts == 1);

        await Task.Delay(200, Ct);
        Assert.Equal(1, _attempts);
        Assert.False(initializer.Ready.IsCompleted);

        // Moved forward in steps: the delay may be registered only after the first look.
        await _time.AdvanceUntilAsync(() => initializer.Ready.IsCompleted, Ct);
        Assert.True(initializer.Ready.IsCompleted);
        Assert.Equal(2, _attempts);
        await initializer.StopAsync(Ct);
    }

    [Fact]
    public async Task RetryNow_EndsTheBackoffAtOnce()
    {
        using var initializer = Initializer(failures: 2);
        await initializer.StartAsync(Ct);
        await UntilAsync(() => _attempts == 1);

        initializer.RetryNow();
        await UntilAsync(() => _attempts == 2);
        initializer.RetryNow();
        await initializer.Ready.WaitAsync(TimeSpan.FromSeconds(5), Ct);

        Assert.Equal(3, _attempts);
        Assert.Equal(TimeSpan.Zero, _time.GetUtcNow() - _time.Start);
        await initializer.StopAsync(Ct);
    }

    [Fact]
    public async Task RetryNow_ManyCallsDuringOneBackoff_MakeOneAttempt()
    {
        using var initializer = Initializer(failures: 5);
        // Asked ten times before the first attempt has even failed: one wake-up is held.
        for (var i = 0; i < 10; i++) initializer.RetryNow();
        await initializer.StartAsync(Ct);

        await UntilAsync(() => _attempts == 2);
        await Task.Delay(200, Ct);
        Assert.Equal(2, _attempts);
        await initializer.StopAsync(Ct);
    }

    [Fact]
    public async Task RetryNow_AfterReady_DoesNothing()
    {
        using var initializer = Initializer(failures: 0);
        await initializer.StartAsync(Ct);
        await initializer.Ready.WaitAsync(TimeSpan.FromSeconds(5), Ct);

        initializer.RetryNow();
        await Task.Delay(100, Ct);
        Assert.Equal(1, _attempts);
        await initializer.StopAsync(Ct);
    }
}
