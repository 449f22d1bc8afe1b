using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaPortal.Tests.Api;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Haproxy;

/// <summary>/api/backends through a real portal process whose Haproxy:RuntimeEndpoint names a real HAProxy.</summary>
public sealed class BackendApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ListChangeAndRefuse_ThroughTheApi()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        await using var portal = await PortalProcess.StartAsync(new Dictionary<string, string>
        {
            ["HAPORTAL_ADMIN_PASSWORD"] = ApiPortalFixture.AdminPassword,
            ["Haproxy__RuntimeEndpoint"] = stack.AdminSocket,
        });
        using var admin = Client(portal, "admin", ApiPortalFixture.AdminPassword);
        (await admin.PostAsJsonAsync("/api/users", new { name = "vic", role = "Viewer", password = "Viewer-Pass-123" }, Ct)).EnsureSuccessStatusCode();
        using var viewer = Client(portal, "vic", "Viewer-Pass-123");

        var list = await admin.GetFromJsonAsync<JsonElement>("/api/backends", Ct);
        var changed = await admin.PostAsJsonAsync("/api/backends/web/servers/web1/weight", new { weight = 25 }, Ct);
        var invalid = await admin.PostAsJsonAsync("/api/backends/web/servers/web9/state", new { state = "sleep" }, Ct);
        var refused = await viewer.PostAsJsonAsync("/api/backends/web/servers/web1/weight", new { weight = 1 }, Ct);
        var viewerList = await viewer.GetAsync("/api/backends", Ct);

        Assert.Equal(["web1", "web2"], list.EnumerateArray().Single(b => b.GetProperty("name").GetString() == "web")
            .GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var problems = (await invalid.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("problems").EnumerateArray()
            .Select(p => p.GetProperty("field").GetString()).Order();
        Assert.Equal(["server", "state"], problems);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, viewerList.StatusCode);
        Assert.Equal(25, (await stack.Runtime.GetServerAsync("web", "web1", Ct))!.Weight);
    }

    [Fact]
    public async Task Settings_ThroughTheApi_FieldProblemsThenAReload()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var env = new Dictionary<string, string> { ["HAPORTAL_ADMIN_PASSWORD"] = ApiPortalFixture.AdminPassword };
        foreach (var (key, value) in BackendSettingsTests.Settings(stack).ToDictionary()) env[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
        await using var portal = await PortalProcess.StartAsync(env);
        using var admin = Client(portal, "admin", ApiPortalFixture.AdminPassword);
        var yaml = Core.Topology.TopologyYaml.Serialize(BackendSettingsTests.Topology());
        (await admin.PostAsync("/api/topologies", new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml"), Ct)).EnsureSuccessStatusCode();
        var url = $"/api/backends/settings/{BackendSettingsTests.Name}";
        var current = await admin.GetFromJsonAsync<JsonElement>(url, Ct);

        var invalid = await admin.PutAsJsonAsync(url, new { balance = "fastest", cookie = "SERVERID", stickyMode = "insert", stickyEnabled = true,
            indirect = true, noCache = true, checkPath = "/health", intervalMs = 2000, rise = 2, fall = 0, expectStatus = 200 }, Ct);
        var valid = await admin.PutAsJsonAsync(url, new { balance = "leastconn", cookie = "PORTALSID", stickyMode = "insert", stickyEnabled = true,
            indirect = true, noCache = true, checkPath = "/health", intervalMs = 2000, rise = 2, fall = 3, expectStatus = 200 }, Ct);

        Assert.Equal("SERVERID", current.GetProperty("cookie").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(["balance", "fall"], (await invalid.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("problems").EnumerateArray()
            .Select(p => p.GetProperty("field").GetString()).Order());
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(("PORTALSID", "leastconn"), (await stack.Runtime.ListBackendsAsync(Ct)).Single(b => b.Name == "web") is var web ? (web.Cookie, web.Algorithm) : default);
    }

    [Fact]
    public async Task DeployedMode_BadInputAndViewer_AreRefusedWithFields_AndNothingChanges()
    {
        Prerequisite.Require(File.Exists(Docker.DockerTestEngine.Socket), $"the Docker engine ({Docker.DockerTestEngine.Socket})");
        await using var portal = await PortalProcess.StartAsync(new Dictionary<string, string> { ["HAPORTAL_ADMIN_PASSWORD"] = ApiPortalFixture.AdminPassword });
        using var admin = Client(portal, "admin", ApiPortalFixture.AdminPassword);
        var yaml = Core.Topology.TopologyYaml.Serialize(BackendSettingsTests.Topology());
        (await admin.PostAsync("/api/topologies", new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml"), Ct)).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/users", new { name = "vic", role = "Viewer", password = "Viewer-Pass-123" }, Ct)).EnsureSuccessStatusCode();
        using var viewer = Client(portal, "vic", "Viewer-Pass-123");
        var name = BackendSettingsTests.Name;

        var deployed = await admin.GetFromJsonAsync<string[]>("/api/backends/deployed", Ct);
        var notDeployed = await admin.GetAsync($"/api/backends/deployed/{name}", Ct);
        var invalid = await admin.PostAsJsonAsync($"/api/backends/deployed/{name}/nodes", new { name = "bad name!", weight = 999 }, Ct);
        var unknown = await admin.DeleteAsync($"/api/backends/deployed/{name}/nodes/web9", Ct);
        var refused = await viewer.PostAsJsonAsync($"/api/backends/deployed/{name}/nodes", new { name = "web3", weight = 100 }, Ct);

        Assert.DoesNotContain(name, deployed!);
        Assert.Equal(HttpStatusCode.NotFound, notDeployed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(["node", "weight"], (await invalid.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("problems").EnumerateArray()
            .Select(p => p.GetProperty("field").GetString()).Order());
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Single((await admin.GetFromJsonAsync<JsonElement>($"/api/topologies/{name}/revisions", Ct)).EnumerateArray());
    }

    private static HttpClient Client(PortalProcess portal, string user, string password)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = portal.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));
        return client;
    }
}
