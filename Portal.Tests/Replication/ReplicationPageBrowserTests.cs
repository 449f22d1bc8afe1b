using System.Net;
using System.Net.Http.Headers;
using System.Text;
using HaPortal.Core.Topology;
using HaPortal.Tests.Browser;
using HaPortal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace HaPortal.Tests.Replication;

/// <summary>The replication page in Chromium: live graph, monitor state, a switchover drill run by the button and charted.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ReplicationPageBrowserTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string AdminPassword = "Admin-Pass-123";
    private MariaDbCluster _cluster = null!;
    private PortalProcess _portal = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cluster = await MariaDbCluster.StartAsync(3, ct: Ct);
        var env = _cluster.PortalSettings("seed-stack");
        env["HAPORTAL_ADMIN_PASSWORD"] = AdminPassword;
        _portal = await PortalProcess.StartAsync(env);
        var seed = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!;
        var spec = seed with
        {
            Database = seed.Database with
            {
                AppSchema = MariaDbCluster.AppSchema, Primary = new DbNodeSpec { Name = "db1" },
                Replicas = [new DbNodeSpec { Name = "db2" }, new DbNodeSpec { Name = "db3" }],
            },
        };
        using var client = new HttpClient { BaseAddress = _portal.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{AdminPassword}")));
        using var imported = await client.PostAsync("/api/topologies", new StringContent(TopologyYaml.Serialize(spec), Encoding.UTF8, "application/yaml"), Ct);
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Operator_RunsASwitchoverDrill_FromThePage_AndSeesItCharted()
    {
        await using var context = await browser.NewContextAsync(_portal.BaseAddress);
        var page = await context.NewPageAsync();
        await PortalSession.LogInAsync(page, "admin", AdminPassword);
        await PortalSession.OpenAsync(page, "/topologies/seed-stack/replication");

        await Expect(page.Locator("[data-test=node-db1] [data-test=role]")).ToHaveTextAsync("Primary");
        await Expect(page.Locator("[data-test=auto-failover-state]")).ToContainTextAsync("Off for this topology");
        await Expect(page.Locator("[data-test=no-drills]")).ToBeVisibleAsync();

        await page.Locator("[data-test=drill-run]").ClickAsync();

        await Expect(page.Locator("[data-test=drill-bar]")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await Expect(page.Locator("[data-test=drill-bar]")).ToContainTextAsync("lost 0");
        Directory.CreateDirectory(PortalSession.ShotFolder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(PortalSession.ShotFolder, "replication-drill.png"), FullPage = true });
    }
}
