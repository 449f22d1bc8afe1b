using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HaPortal.Api;
using HaPortal.Core.Deploy;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Api;

/// <summary>/api/topologies/{name}/plan|apply|destroy|status through the real portal process.</summary>
public sealed class DeployApiTests(ApiPortalFixture fixture) : IClassFixture<ApiPortalFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string SmallStack(string name) => $"""
        name: {name}
        loadBalancer:
          publishPort: {FreePort.Next()}
          stats:
            publishPort: {FreePort.Next()}
        web:
          nodes:
            - name: web1
        database:
          primary:
            name: db1
        """;

    private async Task ImportAsync(string yaml)
    {
        using var response = await fixture.Admin().PostAsync("/api/topologies", new StringContent(yaml, Encoding.UTF8, "application/yaml"), Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
    }

    private async Task<HttpClient> ViewerAsync()
    {
        var name = $"viewer{Guid.NewGuid():N}"[..14];
        using var created = await fixture.Admin().PostAsJsonAsync("/api/users", new { name, role = "Viewer", password = "Viewer-Pass-123" }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        return fixture.Client(name, "Viewer-Pass-123");
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct));

    [Theory]
    [InlineData("GET", "plan")]
    [InlineData("POST", "apply")]
    [InlineData("POST", "destroy")]
    [InlineData("GET", "status")]
    public async Task UnknownTopology_Answers404WithAProblem(string method, string what)
    {
        await DockerTestEngine.RequireAsync(new DeploySettings(), Ct);
        using var response = await fixture.Admin().SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/api/topologies/nosuch{Guid.NewGuid():N}/{what}"), Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("No topology named", (await JsonAsync(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task PlanAndApply_OfATopologyThisVersionCannotDeploy_Answer422WithEveryProblemAndItsField_AndChangeNothing()
    {
        var name = DockerTestEngine.UniqueName("deploypage");
        // Valid as a topology, but its virtual IP is the gateway of the /24 a deploy gives the sql network.
        await ImportAsync(File.ReadAllText(RepoPaths.SeedStack).Replace("name: seed-stack", $"name: {name}")
            .Replace("    - name: proxysql1\n", "    - name: proxysql1\n    - name: proxysql2\n").Replace("virtualIp: null", "virtualIp: 10.89.0.1"));

        using var plan = await fixture.Admin().GetAsync($"/api/topologies/{name}/plan", Ct);
        using var apply = await fixture.Admin().PostAsync($"/api/topologies/{name}/apply", null, Ct);

        foreach (var response in new[] { plan, apply })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            var problems = (await JsonAsync(response)).GetProperty("problems").EnumerateArray().ToList();
            Assert.Contains(problems, p => p.GetProperty("field").GetString() == "sqlRouter.virtualIp");
        }
        using var audit = await fixture.Admin().GetAsync($"/api/audit?action=deploy.&target={name}", Ct);
        Assert.Empty((await JsonAsync(audit)).EnumerateArray());
    }

    [Fact]
    public async Task Viewer_ApplyAndDestroy_Answer403_PlanAndStatusAnswer()
    {
        await DockerTestEngine.RequireAsync(new DeploySettings(), Ct);
        var name = DockerTestEngine.UniqueName("deploypage");
        await ImportAsync(SmallStack(name));
        using var viewer = await ViewerAsync();

        using var apply = await viewer.PostAsync($"/api/topologies/{name}/apply", null, Ct);
        using var destroy = await viewer.PostAsync($"/api/topologies/{name}/destroy?volumes=true", null, Ct);
        using var plan = await viewer.GetAsync($"/api/topologies/{name}/plan", Ct);
        using var status = await viewer.GetAsync($"/api/topologies/{name}/status", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, apply.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, destroy.StatusCode);
        Assert.Equal(HttpStatusCode.OK, plan.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.False((await JsonAsync(status)).GetProperty("exists").GetBoolean());
    }

    [Fact]
    public async Task Plan_NewTopology_ListsEveryCreateInOrderWithNodes_AndNoSecret()
    {
        await DockerTestEngine.RequireAsync(new DeploySettings(), Ct);
        var name = DockerTestEngine.UniqueName("deploypage");
        await ImportAsync(SmallStack(name));

        using var response = await fixture.Admin().GetAsync($"/api/topologies/{name}/plan", Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Equal(1, json.GetProperty("revision").GetInt32());
        Assert.False(json.GetProperty("upToDate").GetBoolean());
        var steps = json.GetProperty("steps").EnumerateArray()
            .Select(s => $"{s.GetProperty("action").GetString()} {s.GetProperty("object").GetString()} {s.GetProperty("node").GetString()}").ToArray();
        Assert.Equal(["create network ", "create network ", "create volume db1", "create container db1", "create container web1", "create container lb"], steps);
        Assert.Empty(json.GetProperty("problems").EnumerateArray());
        Assert.DoesNotContain("password", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Destroy_BadVolumesFlag_Answers400OnTheField_ANotDeployedTopologyDestroysNothingAndIsAudited()
    {
        await DockerTestEngine.RequireAsync(new DeploySettings(), Ct);
        var name = DockerTestEngine.UniqueName("deploypage");
        await ImportAsync(SmallStack(name));

        using var bad = await fixture.Admin().PostAsync($"/api/topologies/{name}/destroy?volumes=maybe", null, Ct);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/topologies/{name}/destroy?volumes=false");
        request.Headers.Accept.ParseAdd(DeployApi.NdJson);
        using var streamed = await fixture.Admin().SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("volumes", (await JsonAsync(bad)).GetProperty("problems")[0].GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Equal(DeployApi.NdJson, streamed.Content.Headers.ContentType!.MediaType);
        var lines = (await streamed.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["plan", "completed"], lines.Select(l => l.GetProperty("kind").GetString()));
        Assert.Equal("Nothing to do.", lines[1].GetProperty("message").GetString());
        using var audit = await fixture.Admin().GetAsync($"/api/audit?action=deploy.destroy&target={name}", Ct);
        var entry = Assert.Single((await JsonAsync(audit)).EnumerateArray());
        Assert.Equal("admin", entry.GetProperty("user").GetString());
        Assert.Contains("data volumes kept", entry.GetProperty("summary").GetString());
    }
}
