using HaPortal.Core.Haproxy;

namespace HaPortal.Tests.Haproxy;

public sealed class RuntimeUnderLoadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RuntimeChanges_DuringBoundedConcurrentLoad_FailNoRequest()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        var load = LoadResult.RunAsync(stack.FrontendUrl, clients: 4, requests: 2000, Ct);
        var changes = 0;
        // Weight, drain, maint and back, always leaving one server ready: the sequence an operator runs.
        while (!load.IsCompleted)
        {
            var (server, other) = changes % 2 == 0 ? ("web1", "web2") : ("web2", "web1");
            await stack.Runtime.SetStateAsync("web", other, ServerAdminState.Ready, Ct);
            await stack.Runtime.SetWeightAsync("web", server, 10 + changes % 200, Ct);
            await stack.Runtime.SetStateAsync("web", server, changes % 4 < 2 ? ServerAdminState.Drain : ServerAdminState.Maint, Ct);
            await stack.Runtime.SetStateAsync("web", server, ServerAdminState.Ready, Ct);
            changes++;
        }
        var outcome = await load;

        Assert.True(changes > 0);
        Assert.Empty(outcome.Failures);
        Assert.Equal(2000, outcome.Succeeded);
    }
}
