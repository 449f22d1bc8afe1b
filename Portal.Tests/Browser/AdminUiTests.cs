using HaPortal.Tests.Infrastructure;
using Microsoft.Playwright;
using static HaPortal.Tests.Browser.PortalSession;
using static Microsoft.Playwright.Assertions;

namespace HaPortal.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class AdminUiTests(BrowserFixture browser)
{
    [Fact]
    public async Task Admin_ImportsSeedStack_ChangesAWebNodeWeight_AndSeesTheRevisionDiff()
    {
        await using var portal = await PortalProcess.StartAsync();
        await using var context = await browser.NewContextAsync(portal.BaseAddress);
        var page = await context.NewPageAsync();

        await LogInAsync(page, "admin", AdminPassword(portal));
        await ShotAsync(page, "01-overview-empty");
        await OpenAsync(page, "/topologies");
        await Expect(page.GetByTestId("empty-state")).ToBeVisibleAsync();
        await ShotAsync(page, "02-topologies-empty");

        await ImportSeedStackAsync(page);
        await Expect(page.Locator("[data-testid=diagram-node][data-node=proxysql1]")).ToHaveAttributeAsync("data-spof", "true");
        await Expect(page.Locator("[data-testid=diagram-node][data-node=web1]")).ToHaveAttributeAsync("data-spof", "false");
        await ShotAsync(page, "04-topology");
        await OpenAsync(page, "/topologies");
        await Expect(page.GetByTestId("topology-link")).ToHaveTextAsync("seed-stack");
        await ShotAsync(page, "04b-topologies");
        await OpenAsync(page, "/topologies/seed-stack");

        await page.GetByTestId("edit-topology").ClickAsync();
        await page.WaitForURLAsync("**/topologies/seed-stack/edit");
        // A click on a tab before the page is interactive does nothing (seen on a loaded machine in CI).
        await WaitInteractiveAsync(page);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Web nodes" }).ClickAsync();
        await page.GetByTestId("web-node-weight-0").FillAsync("50");
        await page.GetByTestId("save-comment").FillAsync("less traffic to web1");
        await Expect(page.GetByTestId("save-topology")).ToBeEnabledAsync();
        await ShotAsync(page, "05-editor-web");
        await page.GetByTestId("save-topology").ClickAsync();
        await page.WaitForURLAsync("**/topologies/seed-stack");
        await Expect(page.GetByTestId("page-title")).ToHaveTextAsync("seed-stack");

        await OpenAsync(page, "/topologies/seed-stack/history?from=1&to=2");
        var row = page.GetByTestId("diff-row");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("web.nodes[web1].weight");
        await Expect(row.Locator(".diff-before")).ToHaveTextAsync("100");
        await Expect(row.Locator(".diff-after")).ToHaveTextAsync("50");
        await ShotAsync(page, "06-history-diff");

        await OpenAsync(page, "/topologies/seed-stack");
        await Expect(page.GetByTestId("topology-diagram")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(ShotFolder, "00-readme.png") });

        await OpenAsync(page, "/audit");
        await Expect(page.GetByTestId("audit-summary").First).ToContainTextAsync("web.nodes[web1].weight 100 → 50");
        await page.GetByTestId("audit-expand").First.ClickAsync();
        await Expect(page.GetByTestId("audit-detail").GetByTestId("diff-row")).ToContainTextAsync("web.nodes[web1].weight");
        await ShotAsync(page, "07-audit");

        await OpenAsync(page, "/");
        await Expect(page.GetByTestId("topology-card")).ToHaveCountAsync(1);
        await ShotAsync(page, "08-overview");
        await page.GetByTestId("dark-toggle").ClickAsync();
        await Expect(page.GetByTestId("dark-toggle")).ToHaveAttributeAsync("data-dark", "true");
        await OpenAsync(page, "/topologies/seed-stack");
        await Expect(page.GetByTestId("dark-toggle")).ToHaveAttributeAsync("data-dark", "true");
        await ShotAsync(page, "09-topology-dark");
    }

    [Fact]
    public async Task Editor_InvalidValue_ShowsTheErrorOnTheField_AndDisablesSave()
    {
        await using var portal = await PortalProcess.StartAsync();
        await using var context = await browser.NewContextAsync(portal.BaseAddress);
        var page = await context.NewPageAsync();
        await LogInAsync(page, "admin", AdminPassword(portal));
        await ImportSeedStackAsync(page);

        await OpenAsync(page, "/topologies/seed-stack/edit");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Web nodes" }).ClickAsync();
        await page.GetByTestId("web-node-name-1").FillAsync("web1");

        await Expect(page.GetByTestId("save-topology")).ToBeDisabledAsync();
        var field = page.Locator(".mud-input-control", new() { Has = page.GetByTestId("web-node-name-1") });
        await Expect(field.Locator(".mud-input-helper-text")).ToContainTextAsync("already used by web.nodes[0].name");
        await ShotAsync(page, "10-editor-error");

        await page.GetByTestId("web-node-name-1").FillAsync("web2");
        await Expect(page.GetByTestId("save-topology")).ToBeEnabledAsync();

        await page.GetByRole(AriaRole.Tab, new() { Name = "SQL router" }).ClickAsync();
        await page.GetByTestId("rule-digest-1").FillAsync("^SELECT (");
        await Expect(page.GetByTestId("save-topology")).ToBeDisabledAsync();
        await ShotAsync(page, "14-editor-router-error");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Database" }).ClickAsync();
        await ShotAsync(page, "15-editor-database");

        await OpenAsync(page, "/topologies/new");
        await Expect(page.GetByTestId("topology-name")).ToHaveValueAsync("new-stack");
        await ShotAsync(page, "16-editor-new");
    }

    [Fact]
    public async Task Viewer_CreatedOnTheUsersPage_CannotSave()
    {
        await using var portal = await PortalProcess.StartAsync();
        await using var admin = await browser.NewContextAsync(portal.BaseAddress);
        var page = await admin.NewPageAsync();
        await LogInAsync(page, "admin", AdminPassword(portal));
        await ImportSeedStackAsync(page);

        await OpenAsync(page, "/users");
        await page.GetByTestId("new-user-name").FillAsync("victor");
        await page.GetByTestId("new-user-password").FillAsync("Viewer-Pass-123");
        await page.GetByTestId("create-user-button").ClickAsync();
        await Expect(page.GetByTestId("user-name").Filter(new() { HasText = "victor" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("user-role-victor")).ToContainTextAsync("Viewer");
        await ShotAsync(page, "11-users");

        await using var viewer = await browser.NewContextAsync(portal.BaseAddress);
        var viewerPage = await viewer.NewPageAsync();
        await LogInAsync(viewerPage, "victor", "Viewer-Pass-123");
        await OpenAsync(viewerPage, "/topologies/seed-stack/edit");
        await Expect(viewerPage.GetByTestId("read-only-notice")).ToBeVisibleAsync();
        await Expect(viewerPage.GetByTestId("save-topology")).ToBeDisabledAsync();
        await Expect(viewerPage.GetByTestId("nav-users")).ToHaveCountAsync(0);
        await ShotAsync(viewerPage, "12-editor-viewer");
    }

    [Fact]
    public async Task FiveWrongPasswords_LockTheAccount_EvenForTheRightPassword()
    {
        await using var portal = await PortalProcess.StartAsync();
        await using var context = await browser.NewContextAsync(portal.BaseAddress);
        var page = await context.NewPageAsync();

        for (var i = 0; i < 5; i++)
        {
            await SubmitLoginAsync(page, "admin", "wrong-password-" + i);
            await Expect(page.GetByTestId("login-error")).ToBeVisibleAsync();
        }
        await SubmitLoginAsync(page, "admin", AdminPassword(portal));

        await Expect(page.GetByTestId("login-error")).ToContainTextAsync("locked");
        await Expect(page.GetByTestId("current-user")).ToHaveCountAsync(0);
        await ShotAsync(page, "13-login-locked");
    }

    [Fact]
    public async Task Unauthenticated_AdminPages_LandOnLogin()
    {
        await using var portal = await PortalProcess.StartAsync();
        await using var context = await browser.NewContextAsync(portal.BaseAddress);
        var page = await context.NewPageAsync();

        foreach (var path in new[] { "/users", "/topologies/seed-stack/edit", "/audit" })
        {
            await page.GotoAsync(path);
            await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/login");
            await Expect(page.Locator("#username")).ToBeVisibleAsync();
        }
    }
}
