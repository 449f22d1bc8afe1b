using HaPortal.Core.Blog;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace HaPortal.Tests.WebNode;

/// <summary>
/// A write whose COMMIT got no answer must not be sent again: it may already be on the new primary (a kill drill counted
/// such rows twice before). A lost connection before the COMMIT is still retried.
/// </summary>
public class TransientRetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LostAnswerToCommit_IsNotRetried_AndSaysTheOutcomeIsUnknown()
    {
        var retry = new TransientRetry(new FakeTimeProvider(), NullLogger<TransientRetry>.Instance);
        var attempts = 0;

        var e = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => retry.ExecuteAsync("add comment", async token =>
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
        var time = new FakeTimeProvider();
        var retry = new TransientRetry(time, NullLogger<TransientRetry>.Instance);
        var attempts = 0;

        var write = retry.ExecuteAsync("add comment", async token =>
        {
            if (++attempts == 1) throw new EndOfStreamException("connection closed during the INSERT");
            await TransientRetry.CommitOnceAsync(_ => Task.CompletedTask, token);
            return attempts;
        }, Ct);
        while (!write.IsCompleted) { time.Advance(retry.FirstDelay); await Task.Yield(); }

        Assert.Equal(2, await write);
    }
}
