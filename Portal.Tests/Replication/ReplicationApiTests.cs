using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Replication;

/// <summary>The replication endpoints of a real portal process against real mariadbd.</summary>
public sealed class ReplicationApiTests : IAsyncLifetime
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
        var spec = seed with { Database = seed.Database with { AppSchema = MariaDbCluster.AppSchema, Primary = new DbNodeSpec { Name = "db1" }, Replicas = [new DbNodeSpec { Name = "db2" }, new DbNodeSpec { Name = "db3" }] } };
        using var imported = await Client("admin", AdminPassword).PostAsync("/api/topologies", new StringContent(TopologyYaml.Serialize(spec), Encoding.UTF8, "application/yaml"), Ct);
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private HttpClient Client(string user, string password)
    {
        var client = new HttpClient { BaseAddress = _portal.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return client;
    }

    [Fact]
    public async Task Status_Switchover_ViewerForbidden_ThenOperatorMovesThePrimary()
    {
        var admin = Client("admin", AdminPassword);
        using (await admin.PostAsJsonAsync("/api/users", new { name = "vera", role = "Viewer", password = "Viewer-Pass-1" }, Ct)) { }
        var viewer = Client("vera", "Viewer-Pass-1");

        var status = await viewer.GetFromJsonAsync<JsonElement>("/api/topologies/seed-stack/replication", Ct);
        Assert.Equal("db1", status.GetProperty("expectedPrimary").GetString());
        Assert.Empty(status.GetProperty("drift").EnumerateArray());
        var checks = await viewer.GetFromJsonAsync<JsonElement>("/api/topologies/seed-stack/replication/switchover-checks?to=db2", Ct);
        Assert.True(checks.GetProperty("passed").GetBoolean());

        using var forbidden = await viewer.PostAsync("/api/topologies/seed-stack/replication/switchover?to=db2", null, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        using var switched = await admin.PostAsync("/api/topologies/seed-stack/replication/switchover?to=db2", null, Ct);
        Assert.Equal(HttpStatusCode.OK, switched.StatusCode);
        var after = await viewer.GetFromJsonAsync<JsonElement>("/api/topologies/seed-stack/replication", Ct);
        Assert.Equal("db2", after.GetProperty("expectedPrimary").GetString());
        Assert.Empty(after.GetProperty("drift").EnumerateArray());

        using var refused = await admin.PostAsync("/api/topologies/seed-stack/replication/failover", null, Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("db2 is reachable and accepts writes", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("summary").GetString());
    }

    [Fact]
    public async Task Drill_Kill_FailsOver_KeptAndListed_BadKindRefused()
    {
        var admin = Client("admin", AdminPassword);

        using var bad = await admin.PostAsync("/api/topologies/seed-stack/replication/drill?kind=explode&runs=0", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var badBody = await bad.Content.ReadAsStringAsync(Ct);
        Assert.Contains("explode", badBody, StringComparison.Ordinal);
        Assert.Contains("runs", badBody, StringComparison.Ordinal);

        using var drill = await admin.PostAsync("/api/topologies/seed-stack/replication/drill?kind=kill", null, Ct);
        var body = await drill.Content.ReadAsStringAsync(Ct);
        Assert.True(drill.StatusCode == HttpStatusCode.OK, body);
        using var listed = await admin.GetAsync("/api/topologies/seed-stack/replication/drills", Ct);
        using var json = System.Text.Json.JsonDocument.Parse(await listed.Content.ReadAsStringAsync(Ct));
        var run = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(0, run.GetProperty("lost").GetInt32());
        Assert.Equal("db1", run.GetProperty("oldPrimary").GetString());
        Assert.True(run.GetProperty("revision").GetInt32() >= 1);
    }
}
