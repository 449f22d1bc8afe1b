using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Api;

/// <summary>One real portal process for the class, with a known admin password.</summary>
public sealed class ApiPortalFixture : IAsyncLifetime
{
    public const string AdminPassword = "Admin-Pass-123";
    public PortalProcess Portal { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Portal = await PortalProcess.StartAsync(new Dictionary<string, string> { ["HAPORTAL_ADMIN_PASSWORD"] = AdminPassword });

    public async ValueTask DisposeAsync() => await Portal.DisposeAsync();

    public HttpClient Client(string? user = null, string? password = null)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = Portal.BaseAddress };
        if (user is not null)
            client.DefaultRequestHeaders.Authorization =
                new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return client;
    }

    public HttpClient Admin() => Client("admin", AdminPassword);
}

public sealed class PortalApiTests(ApiPortalFixture fixture) : IClassFixture<ApiPortalFixture>
{
    private static readonly string Seed = File.ReadAllText(RepoPaths.SeedStack);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Yaml(string text) => new(text, Encoding.UTF8, "application/yaml");

    private static string Renamed(string name) => Seed.Replace("name: seed-stack", $"name: {name}");

    [Theory]
    [InlineData("/")]
    [InlineData("/topologies")]
    [InlineData("/users")]
    [InlineData("/audit")]
    public async Task AdminPage_WithoutLogin_RedirectsToLogin(string path)
    {
        using var response = await fixture.Client().GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login", response.Headers.Location!.AbsolutePath);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/login")]
    public async Task PublicPage_WithoutLogin_Answers(string path)
    {
        using var response = await fixture.Client().GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task BlazorHub_WithoutLogin_Is401()
    {
        using var response = await fixture.Client().PostAsync("/_blazor/negotiate?negotiateVersion=1", null, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_WithoutCredentials_Is401NotARedirect()
    {
        using var response = await fixture.Client().GetAsync("/api/topologies", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Import_Valid_StoresARevisionThatExportsBack()
    {
        using var admin = fixture.Admin();

        using var created = await admin.PostAsync("/api/topologies?comment=from+test", Yaml(Renamed("api-import")), Ct);
        var exported = await admin.GetStringAsync("/api/topologies/api-import/yaml", Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(
            HaPortal.Core.Topology.TopologyYaml.Parse(Renamed("api-import")).Spec,
            HaPortal.Core.Topology.TopologyYaml.Parse(exported).Spec);
    }

    [Fact]
    public async Task Import_Invalid_Is400WithEveryFieldAndChangesNothing()
    {
        using var admin = fixture.Admin();
        var before = await admin.GetStringAsync("/api/topologies", Ct);
        var broken = Renamed("api-broken").Replace("publishPort: 8080", "publishPort: 0").Replace("- name: web2", "- name: web1");

        using var response = await admin.PostAsync("/api/topologies", Yaml(broken), Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var fields = body.GetProperty("problems").EnumerateArray()
            .Where(p => p.GetProperty("severity").GetString() == "error")
            .Select(p => p.GetProperty("field").GetString()!).Order().ToArray();
        Assert.Equal(["loadBalancer.publishPort", "web.nodes[1].name"], fields);
        Assert.Equal(before, await admin.GetStringAsync("/api/topologies", Ct));
    }

    [Fact]
    public async Task Revisions_DiffAndRestore_WorkThroughTheApi()
    {
        using var admin = fixture.Admin();
        await admin.PostAsync("/api/topologies", Yaml(Renamed("api-history")), Ct);
        await admin.PostAsync("/api/topologies", Yaml(Renamed("api-history").Replace("- name: web1", "- name: web1\n      weight: 50")), Ct);

        var diff = await admin.GetFromJsonAsync<JsonElement>("/api/topologies/api-history/diff?from=1&to=2", Ct);
        using var restore = await admin.PostAsync("/api/topologies/api-history/revisions/1/restore", null, Ct);
        var latest = await admin.GetStringAsync("/api/topologies/api-history/yaml", Ct);

        var change = Assert.Single(diff.EnumerateArray());
        Assert.Equal("web.nodes[web1].weight", change.GetProperty("path").GetString());
        Assert.Equal(("100", "50"), (change.GetProperty("before").GetString(), change.GetProperty("after").GetString()));
        Assert.Equal(HttpStatusCode.OK, restore.StatusCode);
        Assert.Contains("- name: web1\n    weight: 100", latest);
    }

    [Fact]
    public async Task Viewer_CanReadButNotChange()
    {
        using var admin = fixture.Admin();
        using var createdUser = await admin.PostAsJsonAsync("/api/users", new { name = "vera", role = "Viewer", password = "Viewer-Pass-1" }, Ct);
        using var viewer = fixture.Client("vera", "Viewer-Pass-1");

        using var read = await viewer.GetAsync("/api/topologies", Ct);
        using var write = await viewer.PostAsync("/api/topologies", Yaml(Renamed("viewer-made")), Ct);
        using var users = await viewer.GetAsync("/api/users", Ct);

        Assert.Equal(HttpStatusCode.NoContent, createdUser.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, users.StatusCode);
        Assert.DoesNotContain("viewer-made", await admin.GetStringAsync("/api/topologies", Ct));
    }

    [Fact]
    public async Task CreateUser_Invalid_ReportsEachField()
    {
        using var admin = fixture.Admin();

        using var response = await admin.PostAsJsonAsync("/api/users", new { name = "bad name!", role = "Superuser", password = "short" }, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var fields = body.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("field").GetString()!).Distinct().Order();
        Assert.Equal(["name", "password", "role"], fields);
    }

    [Fact]
    public async Task FiveWrongPasswords_LockTheAccount()
    {
        using var admin = fixture.Admin();
        await admin.PostAsJsonAsync("/api/users", new { name = "locky", role = "Operator", password = "Locky-Pass-1" }, Ct);

        for (var i = 0; i < 5; i++)
        {
            using var wrong = await fixture.Client("locky", "not-the-password").GetAsync("/api/me", Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var right = await fixture.Client("locky", "Locky-Pass-1").GetAsync("/api/me", Ct);
        var users = await admin.GetFromJsonAsync<JsonElement>("/api/users", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, right.StatusCode);
        var locky = users.EnumerateArray().Single(u => u.GetProperty("name").GetString() == "locky");
        Assert.True(locky.GetProperty("lockedOut").GetBoolean());
    }

    [Fact]
    public async Task Changes_LandInTheAuditLog()
    {
        using var admin = fixture.Admin();
        await admin.PostAsync("/api/topologies", Yaml(Renamed("api-audited")), Ct);

        var entries = await admin.GetFromJsonAsync<JsonElement>("/api/audit?target=api-audited", Ct);

        var entry = Assert.Single(entries.EnumerateArray());
        Assert.Equal(("admin", "topology.save"), (entry.GetProperty("user").GetString(), entry.GetProperty("action").GetString()));
    }
}

public sealed class FirstRunTests
{
    [Fact]
    public async Task FirstStart_WithoutPasswordSetting_PrintsARandomAdminPasswordOnce()
    {
        await using var portal = await PortalProcess.StartAsync();
        var password = portal.FindInOutput(@"password: (\S+)");

        Assert.NotNull(password);
        using var client = new HttpClient { BaseAddress = portal.BaseAddress };
        client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{password}")));
        using var me = await client.GetAsync("/api/me", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }
}
