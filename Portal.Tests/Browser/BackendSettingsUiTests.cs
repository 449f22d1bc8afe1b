using HaPortal.Core.Topology;
using HaPortal.Tests.Haproxy;
using HaPortal.Tests.Infrastructure;
using Microsoft.Playwright;
using static HaPortal.Tests.Browser.PortalSession;
using static Microsoft.Playwright.Assertions;

namespace HaPortal.Tests.Browser;

/// <summary>The backends page's settings form in Chromium, against a real HAProxy the portal reloads.</summary>
[Collection(BrowserCollection.Name)]
public sealed class BackendSettingsUiTests(BrowserFixture browser)
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    [Fact]
    public async Task SettingsForm_InvalidInputShowsFieldErrors_ThenAValidChangeReloadsHaproxy()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var env = BackendSettingsTests.Settings(stack).ToDictionary().ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value!);
        await using var portal = await PortalProcess.StartAsync(env);
        await using var context = await browser.NewContextAsync(portal.BaseAddress);
        var page = await context.NewPageAsync();
        await LogInAsync(page, "admin", AdminPassword(portal));

        await ImportAsync(page, TopologyYaml.Serialize(BackendSettingsTests.Topology()), BackendSettingsTests.Name);

        await OpenAsync(page, "/backends");
        await Expect(page.Locator("tbody tr")).ToHaveCountAsync(2);
        await page.GetByTestId("backends-topology").FillAsync(BackendSettingsTests.Name);
        await page.GetByTestId("backends-topology").PressAsync("Tab");
        await Expect(page.GetByTestId("settings-cookie")).ToHaveValueAsync("SERVERID");

        await page.GetByTestId("settings-cookie").FillAsync("BAD COOKIE");
        await page.GetByTestId("settings-rise").FillAsync("0");
        await page.GetByTestId("settings-rise").PressAsync("Tab");
        await page.GetByTestId("settings-apply").ClickAsync();
        await Expect(page.Locator(".mud-input-control", new() { Has = page.GetByTestId("settings-cookie") })).ToContainTextAsync("not a valid cookie name");
        await Expect(page.Locator(".mud-input-control", new() { Has = page.GetByTestId("settings-rise") })).ToContainTextAsync("out of range");
        await ShotAsync(page, "20-backend-settings-invalid");
        Assert.Equal("SERVERID", (await stack.Runtime.ListBackendsAsync(Ct)).Single(b => b.Name == "web").Cookie);

        await page.GetByTestId("settings-cookie").FillAsync("PORTALSID");
        await page.GetByTestId("settings-rise").FillAsync("2");
        await page.GetByTestId("settings-rise").PressAsync("Tab");
        await page.GetByTestId("settings-apply").ClickAsync();
        await Expect(page.GetByTestId("settings-applied")).ToContainTextAsync("Reloaded", new() { Timeout = 20_000 });
        await Expect(page.Locator("text=cookie PORTALSID")).ToBeVisibleAsync();
        await ShotAsync(page, "21-backend-settings-reloaded");
        Assert.Equal("PORTALSID", (await stack.Runtime.ListBackendsAsync(Ct)).Single(b => b.Name == "web").Cookie);
    }
}
