using System.Net.Http.Headers;
using System.Text;
using HaPortal.Core.Deploy;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;
using Microsoft.Playwright;
using static HaPortal.Tests.Browser.PortalSession;
using static Microsoft.Playwright.Assertions;

namespace HaPortal.Tests.Browser;

/// <summary>A person deploys a small real stack from the deploy page, watches it come up, opens it, and destroys it.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DeployPageBrowserTests(BrowserFixture browser)
{
    private const string AdminPassword = "Admin-Pass-123";

    [Fact(Timeout = 600_000)]
    public async Task Operator_AppliesASmallStackThroughThePage_SeesItRunning_ThenDestroysIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new DeploySettings { PublishAddress = "127.0.0.1" };
        var engine = await DockerTestEngine.RequireAsync(settings, ct);
        var name = DockerTestEngine.UniqueName("deploypage");
        var (port, statsPort) = (FreePort.Next(), FreePort.Next());
        await using var portal = await PortalProcess.StartAsync(new Dictionary<string, string>
        {
            ["HAPORTAL_ADMIN_PASSWORD"] = AdminPassword,
            ["Deploy__PublishAddress"] = "127.0.0.1",
            ["Deploy__ReadyTimeout"] = "00:03:00",
        });
        try
        {
            await ImportAsync(portal, $"""
                name: {name}
                loadBalancer:
                  publishPort: {port}
                  healthCheck:
                    intervalMs: 1000
                  stats:
                    publishPort: {statsPort}
                web:
                  nodes:
                    - name: web1
                database:
                  primary:
                    name: db1
                """, ct);
            await using var context = await browser.NewContextAsync(portal.BaseAddress);
            var page = await context.NewPageAsync();
            await LogInAsync(page, "admin", AdminPassword);

            await OpenAsync(page, $"/topologies/{name}");
            await page.GetByTestId("open-deploy").ClickAsync();
            await page.WaitForURLAsync($"**/topologies/{name}/deploy");
            await WaitInteractiveAsync(page);
            await Expect(page.GetByTestId("plan-step")).ToHaveCountAsync(6); // two networks (stack, sql), a volume, three containers
            await Expect(page.GetByTestId("state-empty")).ToBeVisibleAsync();
            await ShotAsync(page, "20-deploy-plan");

            await page.GetByTestId("apply").ClickAsync();
            await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Apply", Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("apply")).ToBeDisabledAsync();
            await Expect(page.GetByTestId("progress-step").First).ToBeVisibleAsync();
            await Expect(page.Locator("[data-testid=state-row][data-node=db1]")).ToBeVisibleAsync(new() { Timeout = 200_000 });
            await ShotAsync(page, "21-deploy-progress");

            await Expect(page.GetByTestId("deploy-outcome")).ToHaveAttributeAsync("data-outcome", "completed", new() { Timeout = 400_000 });
            await Expect(page.Locator("[data-testid=progress-step][data-state=done]")).ToHaveCountAsync(6);
            await Expect(page.Locator("[data-testid=state-row][data-state=running]")).ToHaveCountAsync(3);
            await Expect(page.GetByTestId("plan-up-to-date")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("site-link")).ToHaveAttributeAsync("href", $"http://127.0.0.1:{port}/");
            await ShotAsync(page, "22-deploy-state");

            // The link leads to the stack: the load balancer answers through the published port.
            using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") })
                Assert.Equal("ok", await http.GetStringAsync("/health", ct));

            await page.GetByRole(AriaRole.Checkbox, new() { Name = "also the data volumes" }).CheckAsync();
            await page.GetByTestId("destroy").ClickAsync();
            await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Destroy", Exact = true }).ClickAsync();
            // The apply's outcome stays on the page until the destroy's first event replaces it: wait for that first.
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Progress (destroy)" })).ToBeVisibleAsync();
            await Expect(page.GetByTestId("deploy-outcome")).ToHaveAttributeAsync("data-outcome", "completed", new() { Timeout = 120_000 });
            await Expect(page.GetByTestId("state-empty")).ToBeVisibleAsync();
            await ShotAsync(page, "23-deploy-destroyed");
            Assert.True((await engine.ObserveAsync(name, ct)).IsEmpty);
        }
        finally
        {
            // Whatever happened above, leave nothing of this topology on the shared engine.
            var deployer = new StackDeployer(engine, settings, TimeProvider.System);
            await foreach (var _ in deployer.DestroyAsync(await deployer.PlanDestroyAsync(name, true, CancellationToken.None), CancellationToken.None)) { }
        }
    }

    private static async Task ImportAsync(PortalProcess portal, string yaml, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = portal.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{AdminPassword}")));
        using var response = await http.PostAsync("/api/topologies", new StringContent(yaml, Encoding.UTF8, "application/yaml"), ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(ct));
    }
}
