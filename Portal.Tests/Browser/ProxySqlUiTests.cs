using HaPortal.Core.ProxySql;
using HaPortal.Tests.Infrastructure;
using HaPortal.Tests.ProxySql;
using Microsoft.Playwright;
using static HaPortal.Tests.Browser.PortalSession;
using static Microsoft.Playwright.Assertions;

namespace HaPortal.Tests.Browser;

/// <summary>The ProxySQL pages in Chromium against the admin-interface test double (not a real ProxySQL).</summary>
[Collection(BrowserCollection.Name)]
public sealed class ProxySqlUiTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<ProxySqlAdminDouble> StartDoubleAsync()
    {
        var proxy = ProxySqlAdminDouble.Start("admin", "ui-browser-pw");
        var node = new ProxySqlAdminClient(new ProxySqlEndpoint("127.0.0.1", proxy.Port, "admin", "ui-browser-pw"));
        Assert.True((await node.ReplaceServersAsync([new() { HostgroupId = 10, Hostname = "db1", Comment = "db1 primary" }, new() { HostgroupId = 20, Hostname = "db2", Comment = "db2 replica" }], Ct)).Succeeded);
        Assert.True((await node.ReplaceReplicationHostgroupsAsync([new ReplicationHostgroup(10, 20)], Ct)).Succeeded);
        Assert.True((await node.ReplaceUsersAsync([new() { Username = "app", Password = "x", DefaultHostgroup = 10 }], Ct)).Succeeded);
        Assert.True((await node.ReplaceQueryRulesAsync(QueryRuleEvaluatorTests.SeedRules, Ct)).Succeeded);
        proxy.AddDigest(20, "blog", "app", "SELECT id, title FROM posts ORDER BY id DESC LIMIT ?", 60);
        proxy.AddDigest(10, "blog", "app", "INSERT INTO comments (post_id, author, body) VALUES (?,?,?)", 20);
        proxy.ExecuteDirect("INSERT INTO stats.stats_mysql_connection_pool VALUES (10,'db1',3306,'ONLINE',1,3,4,0,2,21,0,2048,512,310)");
        proxy.ExecuteDirect("INSERT INTO stats.stats_mysql_connection_pool VALUES (20,'db2',3306,'ONLINE',2,2,4,0,3,60,0,4096,65536,280)");
        return proxy;
    }

    private static Dictionary<string, string> Settings(ProxySqlAdminDouble proxy) => new()
    {
        ["ProxySql__AdminEndpoint"] = $"127.0.0.1:{proxy.Port}",
        ["ProxySql__AdminPassword"] = "ui-browser-pw",
    };

    private static ILocator Input(IPage page, string test) => page.Locator($"input[data-test={test}], textarea[data-test={test}], [data-test={test}] input, [data-test={test}] textarea").First;

    [Fact]
    public async Task RulesPage_AddRule_TestItInTheBench_SeeItAppliedWithHits()
    {
        await using var proxy = await StartDoubleAsync();
        await using var portal = await PortalProcess.StartAsync(Settings(proxy));
        await using var context = await browser.NewContextAsync(portal.BaseAddress);
        var page = await context.NewPageAsync();
        await LogInAsync(page, "admin", AdminPassword(portal));

        await OpenAsync(page, "/proxysql/rules");
        await Expect(page.Locator("tr[data-rule]")).ToHaveCountAsync(2, new() { Timeout = 20_000 });
        await page.Locator("[data-test=add]").ClickAsync();
        await Input(page, "rule-id").FillAsync("50");
        await Input(page, "match-digest").FillAsync("^SELECT .* FROM comments");
        await Input(page, "destination").FillAsync("10");
        await page.Locator("[data-test=save]").ClickAsync();
        await Expect(page.Locator("[data-test=outcome]")).ToContainTextAsync("applied and confirmed in runtime");
        await Expect(page.Locator("tr[data-rule]")).ToHaveCountAsync(3);

        await Input(page, "bench-sql").FillAsync("SELECT body FROM comments WHERE post_id = 7");
        await page.Locator("[data-test=bench-run]").ClickAsync();
        await Expect(page.Locator("[data-test=bench-hostgroup]")).ToContainTextAsync("→ hostgroup 10 (rule 50)");
        await Expect(page.Locator("[data-test=bench-digest]")).ToHaveTextAsync("SELECT body FROM comments WHERE post_id = ?");

        // The rule is in ProxySQL's runtime table, and its live hit count shows on the page.
        Assert.Contains(proxy.QueryDirect("SELECT rule_id FROM runtime_mysql_query_rules"), r => r[0] == "50");
        proxy.ExecuteDirect("UPDATE stats.stats_mysql_query_rules SET hits = 7 WHERE rule_id = 50");
        await Expect(page.Locator("tr[data-rule='50'] [data-test=hits]")).ToHaveTextAsync("7", new() { Timeout = 15_000 });
        await ShotAsync(page, "proxysql-rules");
    }

    [Fact]
    public async Task ServersPage_MaintenanceAndBack_ChartsTheSplit()
    {
        await using var proxy = await StartDoubleAsync();
        await using var portal = await PortalProcess.StartAsync(Settings(proxy));
        await using var context = await browser.NewContextAsync(portal.BaseAddress);
        var page = await context.NewPageAsync();
        await LogInAsync(page, "admin", AdminPassword(portal));

        await page.GetByText("ProxySQL servers").ClickAsync();
        await page.WaitForURLAsync("**/proxysql/servers");
        await WaitInteractiveAsync(page);
        var replica = page.Locator("tr[data-server='20/db2:3306']");
        // The first sample reads four admin tables; on a loaded machine that can outlast the default 5 s.
        await Expect(replica.Locator("[data-test=status]")).ToHaveTextAsync("ONLINE", new() { Timeout = 20_000 });
        await Expect(page.Locator("[data-hostgroup='20'] [data-test=digests]")).ToContainTextAsync("SELECT id, title FROM posts");

        // Traffic between two samples: 90 more reads on the replica, 10 more writes on the primary.
        proxy.ExecuteDirect("UPDATE stats.stats_mysql_connection_pool SET Queries = Queries + 90 WHERE hostgroup = 20");
        proxy.ExecuteDirect("UPDATE stats.stats_mysql_connection_pool SET Queries = Queries + 10 WHERE hostgroup = 10");
        await Expect(page.Locator("[data-test=split]")).ToContainTextAsync("hostgroup 20 (reader): 90 queries, 90", new() { Timeout = 15_000 });

        await replica.Locator("[data-test=maintenance]").ClickAsync();
        await Expect(page.Locator("[data-test=confirm]")).ToContainTextAsync("OFFLINE_SOFT");
        await page.Locator("[data-test=confirm-yes]").ClickAsync();
        await Expect(replica.Locator("[data-test=status]")).ToHaveTextAsync("OFFLINE_SOFT");
        Assert.Contains(proxy.QueryDirect("SELECT status FROM runtime_mysql_servers WHERE hostname = 'db2'"), r => r[0] == "OFFLINE_SOFT");
        await ShotAsync(page, "proxysql-servers");

        await replica.Locator("[data-test=online]").ClickAsync();
        await page.Locator("[data-test=confirm-yes]").ClickAsync();
        await Expect(replica.Locator("[data-test=status]")).ToHaveTextAsync("ONLINE");
    }
}
