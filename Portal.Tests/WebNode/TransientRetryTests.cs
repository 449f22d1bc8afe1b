using System.Net.Sockets;
using HaPortal.Core.Blog;
using HaPortal.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace HaPortal.Tests.WebNode;

/// <summary>
/// Retries through a failover with backoff and a budget. A write whose COMMIT got no answer must not be sent again: it
/// may already be on the new primary (a kill drill counted such rows twice before); a lost connection before the COMMIT
/// is still retried.
/// </summary>
public sealed class TransientRetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _time = new();

    private TransientRetry Retry() => new(_time, NullLogger<TransientRetry>.Instance)
    {
        Budget = TimeSpan.FromSeconds(5), FirstDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1),
    };

    // Moves fake time forward until the work finishes, so backoff delays pass without sleeping.
    private async Task<T> RunAsync<T>(Task<T> task)
    {
        await _time.AdvanceUntilAsync(() => task.IsCompleted, Ct);
        return await task;
    }

    [Fact]
    public async Task Execute_ConnectionFailsTwice_SucceedsOnTheThirdAttempt()
    {
        var attempts = 0;
        var task = Retry().ExecuteAsync("read", _ => ++attempts < 3 ? throw new SocketException((int)SocketError.ConnectionRefused) : Task.FromResult(42),
            Ct);

        Assert.Equal(42, await RunAsync(task));
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task Execute_StillFailingAfterTheBudget_BacksOffThenThrowsUnavailableWithAPlainReason()
    {
        var attempts = new List<DateTimeOffset>();
        var start = _time.GetUtcNow();
        var task = Retry().ExecuteAsync<int>("read", _ => { attempts.Add(_time.GetUtcNow()); throw new SocketException((int)SocketError.ConnectionRefused); },
            Ct);

        var e = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => RunAsync(task));

        Assert.Equal("the database cannot be reached", e.Reason);
        var gaps = attempts.Zip(attempts.Skip(1), (a, b) => (b - a).TotalMilliseconds).ToList();
        Assert.True(gaps.Count >= 3, $"only {attempts.Count} attempts");
        Assert.True(gaps[0] >= 100 && gaps[1] >= 200 && gaps[2] >= 400, "backoff doubles: " + string.Join(", ", gaps));
        Assert.True(attempts[^1] - start <= TimeSpan.FromSeconds(5), "no attempt after the budget");
    }

    [Fact]
    public async Task Execute_NonTransientError_IsNotRetried()
    {
        var attempts = 0;
        var task = Retry().ExecuteAsync<int>("read", _ => { attempts++; throw new InvalidOperationException("bug"); },
            Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(task));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task LostAnswerToCommit_IsNotRetried_AndSaysTheOutcomeIsUnknown()
    {
        var attempts = 0;

        var e = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => Retry().ExecuteAsync("add comment", async token =>
        {
            attempts++;
            await TransientRetry.CommitOnceAsync(_ => throw new EndOfStreamException("connection closed"), token);
            return 1;
        }, Ct));

        Assert.Equal(1, attempts);
        Assert.Equal(TransientRetry.OutcomeUnknown, e.Reason);
    }

    [Fact]
    public async Task LostConnectionBeforeCommit_IsRetried()
    {
        var attempts = 0;

        var write = Retry().ExecuteAsync("add comment", async token =>
        {
            if (++attempts == 1) throw new EndOfStreamException("connection closed during the INSERT");
            await TransientRetry.CommitOnceAsync(_ => Task.CompletedTask, token);
            return attempts;
        }, Ct);

        Assert.Equal(2, await RunAsync(write));
    }
}
