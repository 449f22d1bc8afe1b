using Bunit;
using HaPortal.Components;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using HaPortal.Components.Pages.Topologies;
using HaPortal.Core.Security;

namespace HaPortal.Tests.Components;

public sealed class TopologyHistoryTests : PortalComponentContext
{
    [Fact]
    public async Task FromAndTo_ShowTheFieldLevelDiffOfThatPair()
    {
        SignIn("alice", Roles.Operator);
        await SaveSeedAsync();
        var seed = SeedStack();
        var actor = new Actor("bob", new HashSet<string> { Roles.Operator });
        await Store.SaveAsync(seed with { Web = new() { Nodes = [new() { Name = "web1", Weight = 50 }, new() { Name = "web2" }] } }, actor, "lighter web1", Ct);

        Services.GetRequiredService<NavigationManager>().NavigateTo(Routes.Diff("seed-stack", 1, 2));
        var cut = RenderPage<TopologyHistory>(p => p.Add(x => x.Name, "seed-stack"));

        var row = cut.WaitForElement("[data-testid=diff-row]");
        Assert.Single(cut.FindAll("[data-testid=diff-row]"));
        Assert.Contains("web.nodes[web1].weight", row.TextContent);
        Assert.Contains("100", row.TextContent);
        Assert.Contains("50", row.TextContent);
        Assert.Contains("changed", row.TextContent);
        Assert.Contains("lighter web1", cut.Find("[data-testid=revision-table]").TextContent);
    }

    [Fact]
    public async Task Viewer_CannotRestore()
    {
        SignIn("victor", Roles.Viewer);
        await SaveSeedAsync();
        await Store.SaveAsync(SeedStack() with { Name = "seed-stack", LoadBalancer = new() { PublishPort = 8081 } },
            new Actor("bob", new HashSet<string> { Roles.Operator }), "port", Ct);

        var cut = RenderPage<TopologyHistory>(p => p.Add(x => x.Name, "seed-stack"));

        Assert.True(cut.WaitForElement("[data-testid=restore-1]").HasAttribute("disabled"));
    }
}
