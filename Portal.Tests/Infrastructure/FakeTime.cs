using Microsoft.Extensions.Time.Testing;

namespace HaPortal.Tests.Infrastructure;

public static class FakeTime
{
    /// <summary>
    /// Moves fake time forward in 50 ms steps, letting the real scheduler run between them, until <paramref name="done"/>
    /// (or <paramref name="steps"/> steps): backoff delays pass without sleeping, whenever the code under test
    /// registers them.
    /// </summary>
    public static async Task AdvanceUntilAsync(this FakeTimeProvider time, Func<bool> done, CancellationToken ct, int steps = 1000)
    {
        for (var i = 0; i < steps && !done(); i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(1, ct);
        }
    }
}
