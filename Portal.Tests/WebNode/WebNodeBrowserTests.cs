using System.Net;
using HaPortal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace HaPortal.Tests.WebNode;

/// <summary>The web node as a real process against the MariaDB pair (writes to the primary, reads from the replica), driven in Chromium.</summary>
[Collection(WebNodeCollection.Name)]
public sealed class WebNodeBrowserTests(MariaDbPairFixture databases, BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(MariaDbCluster Cluster, PortalProcess Node, string Schema)> StartNodeAsync()
    {
        Prerequisite.RequireExecutable(BrowserFixture.ChromiumPath);
        var cluster = await databases.GetAsync();
        var schema = MariaDbCluster.NewSchemaName();
        await cluster.Primary.ExecuteAsync($"CREATE DATABASE `{schema}`", Ct);
        var node = await PortalProcess.StartAsync(
            new Dictionary<string, string>
            {
                ["ConnectionStrings__App"] = MariaDbCluster.AppConnectionString(cluster.Primary, schema),
                ["ConnectionStrings__AppRead"] = MariaDbCluster.AppConnectionString(cluster.Replicas[0], schema),
                ["Node__Name"] = "web-test",
            },
            ["--role", "web-node"]);
        // The schema was created on the primary; let the replica catch up before reading from it.
        await cluster.WaitForReplicaAsync(cluster.Replicas[0], ct: Ct);
        return (cluster, node, schema);
    }

    [Fact]
    public async Task Comment_IsStoredShownAsTextAndItsProvenanceShown()
    {
        var (cluster, node, schema) = await StartNodeAsync();
        await using var _ = node;
        await using var context = await browser.NewContextAsync(node.BaseAddress);
        var page = await context.NewPageAsync();
        var dialogs = 0;
        page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };

        await page.GotoAsync("/");
        Assert.Equal(3, await page.GetByTestId("post-summary").CountAsync());
        await Assertions.Expect(page.GetByTestId("prov-node")).ToContainTextAsync("web-test");
        await Assertions.Expect(page.GetByTestId("prov-read")).ToContainTextAsync($"server_id {cluster.Replicas[0].ServerId}");
        await Assertions.Expect(page.GetByTestId("prov-read")).ToContainTextAsync("read-only");

        await page.GetByRole(AriaRole.Link, new() { Name = "Sticky sessions, explained" }).ClickAsync();
        await page.GetByLabel("Name").FillAsync("Mallory");
        await page.GetByLabel("Comment").FillAsync("<script>alert(1)</script> nice post");
        await page.GetByRole(AriaRole.Button, new() { Name = "Post comment" }).ClickAsync();
        await page.WaitForURLAsync("**/posts/*#comment-*");

        var write = page.GetByTestId("prov-write");
        await Assertions.Expect(write).ToContainTextAsync($"written on");
        await Assertions.Expect(write).ToContainTextAsync($"(server_id {cluster.Primary.ServerId}), read from");
        await Assertions.Expect(write).ToContainTextAsync($"(server_id {cluster.Replicas[0].ServerId})");

        await cluster.WaitForReplicaAsync(cluster.Replicas[0], ct: Ct);
        await page.ReloadAsync();
        var comment = page.GetByTestId("comment");
        await Assertions.Expect(comment).ToContainTextAsync("<script>alert(1)</script> nice post");
        await Assertions.Expect(comment).ToContainTextAsync("Mallory");
        await Assertions.Expect(page.GetByTestId("prov-visible-here")).ToContainTextAsync("visible");
        Assert.Equal(0, await page.Locator(".comment script").CountAsync());
        Assert.Equal(0, dialogs);
    }

    [Fact]
    public async Task EmptyAndOversizedComment_ShowEveryProblemByItsField()
    {
        var (_, node, _) = await StartNodeAsync();
        await using var __ = node;
        await using var context = await browser.NewContextAsync(node.BaseAddress);
        var page = await context.NewPageAsync();

        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Welcome to the HaPortal demo blog" }).ClickAsync();
        // Bypass the browser's own maxlength to reach the server's rule.
        await page.EvaluateAsync("document.getElementById('body').removeAttribute('maxlength')");
        await page.GetByLabel("Comment").FillAsync(new string('x', 2_001));
        await page.GetByRole(AriaRole.Button, new() { Name = "Post comment" }).ClickAsync();

        await Assertions.Expect(page.Locator(".field-error[data-field=author]")).ToHaveTextAsync("Name is required.");
        await Assertions.Expect(page.Locator(".field-error[data-field=body]")).ToHaveTextAsync("Comment is 2,001 characters long; the limit is 2,000.");
        Assert.Equal(0, await page.GetByTestId("comment").CountAsync());
    }

    [Fact]
    public async Task SessionPage_CountsVisitsOnTheServerSideSession()
    {
        var (_, node, _) = await StartNodeAsync();
        await using var __ = node;
        await using var context = await browser.NewContextAsync(node.BaseAddress);
        var page = await context.NewPageAsync();

        await page.GotoAsync("/session");
        await Assertions.Expect(page.GetByTestId("visits")).ToHaveTextAsync("1");
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("visits")).ToHaveTextAsync("2");
        await Assertions.Expect(page.GetByTestId("node-name")).ToHaveTextAsync("web-test");

        await page.GetByRole(AriaRole.Button, new() { Name = "Without the sticky cookie" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("chart-caption")).ToHaveTextAsync("Without the sticky cookie: 50 requests answered by 1 node");
        await Assertions.Expect(page.Locator("#chart .row[data-node='web-test'] .count")).ToHaveTextAsync("50");
    }

    [Fact]
    public async Task DatabaseDown_HealthSays503WithAReason_AndPagesSayItPlainly()
    {
        var closedPort = FreePort.Next();
        var secret = "s3cret-should-not-show";
        await using var node = await PortalProcess.StartAsync(
            new Dictionary<string, string> { ["ConnectionStrings__App"] = $"Server=127.0.0.1;Port={closedPort};User ID=app;Password={secret};Database=app_none" },
            ["--role", "web-node"], healthPath: "/whoami");
        using var http = new HttpClient { BaseAddress = node.BaseAddress };

        using var health = await http.GetAsync("/health", Ct);
        using var front = await http.GetAsync("/", Ct);
        var frontText = await front.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.DoesNotContain(secret, await health.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, front.StatusCode);
        Assert.Contains("The database is unavailable", frontText);
        Assert.DoesNotContain("Exception", frontText);
        Assert.DoesNotContain(secret, frontText);
        Assert.DoesNotContain(secret, node.Output);
    }

    [Fact]
    public async Task CommentPost_WithoutAntiforgeryToken_IsRejectedAndNothingStored()
    {
        var (cluster, node, schema) = await StartNodeAsync();
        await using var __ = node;
        using var http = new HttpClient { BaseAddress = node.BaseAddress };

        using var response = await http.PostAsync("/posts/1/comments",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["author"] = "Eve", ["body"] = "forged" }), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0L, Convert.ToInt64(await cluster.Primary.ScalarAsync($"SELECT COUNT(*) FROM `{schema}`.comments", Ct)));
    }

    [Fact]
    public async Task WebNode_ServesNoAdminPagesOrAssets_OnlyTheDemosOwnFiles()
    {
        var (_, node, _) = await StartNodeAsync();
        await using var __ = node;
        using var http = new HttpClient { BaseAddress = node.BaseAddress };

        using var login = await http.GetAsync("/login", Ct);
        using var topologies = await http.GetAsync("/topologies", Ct);
        using var health = await http.GetAsync("/health", Ct);
        using var css = await http.GetAsync("/demo/demo.css", Ct);
        using var script = await http.GetAsync("/demo/session.js", Ct);
        using var adminCss = await http.GetAsync("/app.css", Ct);
        using var mud = await http.GetAsync("/_content/MudBlazor/MudBlazor.min.css", Ct);

        Assert.Equal(HttpStatusCode.NotFound, login.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, topologies.StatusCode);
        Assert.Equal("ok", await health.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Contains("{", await css.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, adminCss.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, mud.StatusCode);
    }
}
