using HaPortal.Core.Deploy;

namespace HaPortal.Tests.Deploy;

/// <summary>A deploy's progress, collected for assertions and written to the test output as it arrives.</summary>
internal static class DeployEvents
{
    public static async Task<List<DeployProgress>> CollectAsync(IAsyncEnumerable<DeployProgress> progress, ITestOutputHelper output)
    {
        var events = new List<DeployProgress>();
        await foreach (var e in progress)
        {
            events.Add(e);
            output.WriteLine($"[{e.Elapsed.TotalSeconds,6:0.0}s] {e.Kind} {e.Step?.Name} {e.Message}");
        }
        return events;
    }
}
