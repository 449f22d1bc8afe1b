using AngleSharp.Dom;
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

/// <summary>The Backends page rendered with bunit against a real HAProxy: live table, and an action that changes HAProxy.</summary>
public sealed class BackendsPageTests : BunitContext
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;
    private readonly TestDatabase _db = new();

    private void Configure(string? endpoint, params string[] roles) => Configure(new Dictionary<string, string?> { ["Haproxy:RuntimeEndpoint"] = endpoint }, roles);

    private void Configure(Dictionary<string, string?> settings, params string[] roles)
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(settings).Build());
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<TopologyStore>(_db.Topologies);
        Services.AddSingleton<AuditLog>(_db.Audit);
        Services.AddSingleton<BackendOperations>();
        Services.AddSingleton<HaproxyTargets>();
        Services.AddSingleton<IDeployedLoadBalancers>(new ScriptedLoadBalancers(new Dictionary<string, IHaproxyRuntime>()));
        AddAuthorization().SetAuthorized("olga").SetRoles(roles);
    }

    [Fact]
    public async Task LiveTable_ShowsServers_AndDrainChangesHaproxy()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        Configure(stack.AdminSocket, "Operator");

        var page = Render<Backends>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));
        Assert.Contains("web1", page.FindAll("tbody tr")[0].TextContent);
        Assert.Contains("L7OK", page.FindAll("tbody tr")[0].TextContent);

        // Found and clicked in one dispatch: the 2 s poll re-renders the table in between otherwise.
        await page.InvokeAsync(() => page.FindAll("tbody tr")[0].QuerySelectorAll("button").Single(b => b.TextContent.Trim() == "Drain").Click());

        page.WaitForAssertion(() => Assert.Contains("drain", page.FindAll("tbody tr")[0].TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal(ServerAdminState.Drain, (await stack.Runtime.GetServerAsync("web", "web1", Ct))!.Admin);
        Assert.Equal("runtime: web1 state ready → drain", (await _db.Audit.QueryAsync(new AuditQuery(), Ct)).Single().Summary);
    }

    [Fact]
    public async Task Viewer_ClickingDrain_IsRefusedOnTheServer_AndHaproxyIsUnchanged()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        Configure(stack.AdminSocket, "Viewer");

        var page = Render<Backends>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));
        // Found and clicked in one dispatch: the 2 s poll re-renders the table in between otherwise.
        await page.InvokeAsync(() => page.FindAll("tbody tr")[0].QuerySelectorAll("button").Single(b => b.TextContent.Trim() == "Drain").Click());

        page.WaitForAssertion(() => Assert.Contains("Viewer role", page.Markup), TimeSpan.FromSeconds(10));
        Assert.Equal(ServerAdminState.Ready, (await stack.Runtime.GetServerAsync("web", "web1", Ct))!.Admin);
    }

    [Fact]
    public async Task SettingsForm_InvalidInputShowsFieldErrors_ThenAValidCookieReloadsHaproxy()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        await _db.Topologies.SaveAsync(BackendSettingsTests.Topology(), BackendSettingsTests.Operator, "seed", Ct);
        Configure(BackendSettingsTests.Settings(stack).ToDictionary(), "Operator");
        var page = Render<Backends>();
        page.Find("input[data-testid=backends-topology]").Change(BackendSettingsTests.Name);
        page.WaitForAssertion(() => page.Find("input[data-testid=settings-cookie]"), TimeSpan.FromSeconds(15));

        page.Find("input[data-testid=settings-cookie]").Change("BAD COOKIE");
        page.Find("input[data-testid=settings-rise]").Change("0");
        await page.InvokeAsync(() => page.Find("[data-testid=settings-apply]").Click());

        page.WaitForAssertion(() => Assert.Contains("not a valid cookie name", Field(page, "settings-cookie")), TimeSpan.FromSeconds(10));
        Assert.Contains("out of range", Field(page, "settings-rise"));
        Assert.Single((await _db.Topologies.HistoryAsync(BackendSettingsTests.Name, Ct)));

        page.Find("input[data-testid=settings-cookie]").Change("PORTALSID");
        page.Find("input[data-testid=settings-rise]").Change("1");
        await page.InvokeAsync(() => page.Find("[data-testid=settings-apply]").Click());

        page.WaitForAssertion(() => Assert.Contains("Reloaded", page.Find("[data-testid=settings-applied]").TextContent), TimeSpan.FromSeconds(20));
        Assert.Equal("PORTALSID", (await stack.Runtime.ListBackendsAsync(Ct)).Single(b => b.Name == "web").Cookie);
    }

    /// <summary>The field's whole control, where MudBlazor writes its error text.</summary>
    private static string Field(IRenderedComponent<Backends> page, string testId) =>
        page.Find($"input[data-testid={testId}]").Closest(".mud-input-control")!.TextContent;

    [Fact]
    public void NoEndpointSetting_SaysWhichSettingToSet()
    {
        Configure((string?)null, "Operator");

        var page = Render<Backends>();

        Assert.Contains("Set Haproxy:RuntimeEndpoint", page.Find(".mud-alert").TextContent);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _db.Dispose();
        base.Dispose(disposing);
    }
}
