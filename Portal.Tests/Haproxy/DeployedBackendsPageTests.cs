using Bunit;
using HaPortal.Components.Pages.Backends;
using HaPortal.Core.Audit;
using HaPortal.Core.Deploy;
using HaPortal.Core.Haproxy;
using HaPortal.Core.Persistence;
using HaPortal.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace HaPortal.Tests.Haproxy;

/// <summary>
/// The Backends page on a deployed topology's load balancer (bunit): its servers live from a real HAProxy, and the Add
/// node / Remove buttons with their progress, against a scripted <see cref="IDeployedLoadBalancers"/>.
/// </summary>
public sealed class DeployedBackendsPageTests : BunitContext
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;
    private readonly TestDatabase _db = new();

    private ScriptedLoadBalancers Configure(HaproxyStack stack, params string[] roles)
    {
        var lbs = new ScriptedLoadBalancers(new Dictionary<string, IHaproxyRuntime> { ["shop"] = stack.Runtime });
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        // No Haproxy:RuntimeEndpoint: the page starts on the deployed topology.
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<TopologyStore>(_db.Topologies);
        Services.AddSingleton<AuditLog>(_db.Audit);
        Services.AddSingleton<BackendOperations>();
        Services.AddSingleton<HaproxyTargets>();
        Services.AddSingleton<IDeployedLoadBalancers>(lbs);
        AddAuthorization().SetAuthorized("olga").SetRoles(roles);
        return lbs;
    }

    [Fact]
    public async Task Operator_AddsANode_SeesItsProgress_ThenRemovesOneFromItsRow()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var lbs = Configure(stack, "Operator");

        var page = Render<Backends>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));
        Assert.Contains("Web nodes of 'shop'", page.Find("[data-testid=node-changes]").TextContent);

        // An empty name: the problem with its field.
        await page.InvokeAsync(() => page.Find("[data-testid=add-node]").Click());
        page.WaitForAssertion(() => Assert.Contains("node: '' is not a node name", page.Find("[data-testid=node-result]").TextContent), TimeSpan.FromSeconds(10));

        page.Find("input[data-testid=add-node-name]").Change("web3");
        var adding = page.InvokeAsync(() => page.Find("[data-testid=add-node]").Click());
        page.WaitForAssertion(() => Assert.Contains("creating shop-web3", page.Find("[data-testid=node-progress]").TextContent), TimeSpan.FromSeconds(10));
        Assert.True(page.Find("[data-testid=add-node]").HasAttribute("disabled"));
        Assert.Contains("Adding web3 to 'shop'", page.Markup);

        lbs.Release.SetResult();
        await adding;
        page.WaitForAssertion(() => Assert.Contains("web3 added · recorded as revision 2", page.Find("[data-testid=node-result]").TextContent), TimeSpan.FromSeconds(10));
        Assert.False(page.Find("[data-testid=add-node]").HasAttribute("disabled"));

        // Remove is on each server's row; found and clicked in one dispatch (the 2 s poll re-renders the table).
        await page.InvokeAsync(() => page.FindAll("tbody tr")[1].QuerySelectorAll("button").Single(b => b.TextContent.Trim() == "Remove").Click());
        page.WaitForAssertion(() => Assert.Contains("web2 removed · recorded as revision 3", page.Find("[data-testid=node-result]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal(["add shop  100", "add shop web3 100", "remove shop web2 30 False"], lbs.Calls);
    }

    [Fact]
    public async Task Viewer_SeesTheDeployedServers_ButNoAddOrRemove()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var lbs = Configure(stack, "Viewer");

        var page = Render<Backends>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));

        Assert.Empty(page.FindAll("[data-testid=add-node]"));
        Assert.DoesNotContain(page.FindAll("tbody tr button"), b => b.TextContent.Trim() == "Remove");
        Assert.Contains("needs the Operator or Admin role", page.Find("[data-testid=node-changes]").TextContent);
        Assert.Empty(lbs.Calls);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _db.Dispose();
        base.Dispose(disposing);
    }
}
