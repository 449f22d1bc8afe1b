using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HaPortal.Core.ProxySql;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.ProxySql;

/// <summary>A real portal process whose ProxySql settings point at a test double.</summary>
public sealed class ProxySqlApiFixture : IAsyncLifetime
{
    public const string AdminPassword = "Admin-Pass-123";
    public ProxySqlAdminDouble Double { get; } = ProxySqlAdminDouble.Start("admin", "api-pw");
    public PortalProcess Portal { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var node = new ProxySqlAdminClient(new ProxySqlEndpoint("127.0.0.1", Double.Port, "admin", "api-pw"));
        Assert.True((await node.ReplaceServersAsync(
        [
            new() { HostgroupId = 10, Hostname = "127.0.0.1", Port = 33061 },
            new() { HostgroupId = 20, Hostname = "127.0.0.1", Port = 33062 },
        ])).Succeeded);
        Assert.True((await node.ReplaceReplicationHostgroupsAsync([new ReplicationHostgroup(10, 20)])).Succeeded);
        Assert.True((await node.ReplaceUsersAsync([new() { Username = "app", Password = "apppw", DefaultHostgroup = 10 }])).Succeeded);
        Assert.True((await node.ReplaceQueryRulesAsync(QueryRuleEvaluatorTests.SeedRules)).Succeeded);
        Portal = await PortalProcess.StartAsync(new Dictionary<string, string>
        {
            ["HAPORTAL_ADMIN_PASSWORD"] = AdminPassword,
            ["ProxySql__AdminEndpoint"] = $"127.0.0.1:{Double.Port}",
            ["ProxySql__AdminPassword"] = "api-pw",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Portal.DisposeAsync();
        await Double.DisposeAsync();
    }

    public HttpClient Admin()
    {
        var client = new HttpClient { BaseAddress = Portal.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{AdminPassword}")));
        return client;
    }
}

public sealed class ProxySqlApiTests(ProxySqlApiFixture fixture) : IClassFixture<ProxySqlApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetRules_Anonymous_Refused_Admin_SeesRulesInOrder()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Portal.BaseAddress };
        using var admin = fixture.Admin();

        var refused = await anonymous.GetAsync("/api/proxysql/rules", Ct);
        var rules = await admin.GetFromJsonAsync<JsonElement>("/api/proxysql/rules", Ct);

        Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
        Assert.Equal([100, 200], rules.EnumerateArray().Select(r => r.GetProperty("rule").GetProperty("ruleId").GetInt32()));
    }

    [Fact]
    public async Task PostRule_Invalid_400WithFields_Valid_AppliedToRuntime()
    {
        using var admin = fixture.Admin();

        var bad = await admin.PostAsJsonAsync("/api/proxysql/rules", new { ruleId = 60, matchDigest = "^SELECT (", destinationHostgroup = 99, apply = true }, Ct);
        var good = await admin.PostAsJsonAsync("/api/proxysql/rules", new { ruleId = 50, matchPattern = @"^/\* rw \*/", destinationHostgroup = 10, apply = true, comment = "rw" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var fields = (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("field").GetString());
        Assert.Equal(["rules[2].matchDigest", "rules[2].destinationHostgroup"], fields);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Contains(fixture.Double.QueryDirect("SELECT rule_id FROM runtime_mysql_query_rules"), r => r[0] == "50");
        Assert.True((await admin.DeleteAsync("/api/proxysql/rules/50", Ct)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task TestAndDryRun_AnswerRoutingAndWarnings()
    {
        fixture.Double.AddDigest(10, "blog", "app", "INSERT INTO posts(title) VALUES (?)", 20);
        using var admin = fixture.Admin();

        var test = await (await admin.PostAsJsonAsync("/api/proxysql/rules/test", new { sql = "SELECT * FROM posts", username = "app" }, Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);
        var dry = await (await admin.PostAsJsonAsync("/api/proxysql/rules/dry-run",
                new { rules = new object[] { new { ruleId = 1, matchDigest = "^INSERT", destinationHostgroup = 20, apply = true, active = true } } }, Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(20, test.GetProperty("hostgroup").GetInt32());
        Assert.Equal("INSERT INTO posts(title) VALUES (?)", dry.GetProperty("warnings")[0].GetProperty("digestText").GetString());
        Assert.Equal(20, dry.GetProperty("changes")[0].GetProperty("after").GetInt32());
    }

    [Fact]
    public async Task ReadRouting_Invalid400_ValidAppliedThenOff()
    {
        using var admin = fixture.Admin();

        var bad = await admin.PutAsJsonAsync("/api/proxysql/read-routing", new { readFallback = true, fallbackWeight = 0, writerIsAlsoReader = false }, Ct);
        var on = await admin.PutAsJsonAsync("/api/proxysql/read-routing", new { readFallback = true, fallbackWeight = 1, writerIsAlsoReader = true }, Ct);
        var shown = await admin.GetFromJsonAsync<JsonElement>("/api/proxysql/read-routing", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(["fallbackWeight", "writerIsAlsoReader"],
            (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("field").GetString()));
        Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        Assert.True(shown.GetProperty("readFallback").GetBoolean());
        Assert.Contains(fixture.Double.QueryDirect("SELECT weight FROM runtime_mysql_servers WHERE hostgroup_id = 20 AND port = 33061"), r => r[0] == "1");
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/proxysql/read-routing", new { readFallback = false, fallbackWeight = 1, writerIsAlsoReader = true }, Ct)).StatusCode);
        Assert.Empty(fixture.Double.QueryDirect("SELECT weight FROM runtime_mysql_servers WHERE hostgroup_id = 20 AND port = 33061"));
    }

    [Fact]
    public async Task ServerStatus_NodeFilter_UnknownNode400_KnownNodeRunsThere()
    {
        using var admin = fixture.Admin();

        var unknown = await admin.PostAsync("/api/proxysql/servers/127.0.0.1/33062/offline?node=10.9.9.9:6032", null, Ct);
        var offline = await admin.PostAsync($"/api/proxysql/servers/127.0.0.1/33062/offline?node=127.0.0.1:{fixture.Double.Port}", null, Ct);
        var status = fixture.Double.QueryDirect("SELECT status FROM runtime_mysql_servers WHERE port = 33062")[0][0];
        var online = await admin.PostAsync($"/api/proxysql/servers/127.0.0.1/33062/online?node=127.0.0.1:{fixture.Double.Port}", null, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, offline.StatusCode);
        Assert.Equal("OFFLINE_SOFT", status);
        Assert.Equal(HttpStatusCode.OK, online.StatusCode);
        Assert.Equal("ONLINE", fixture.Double.QueryDirect("SELECT status FROM runtime_mysql_servers WHERE port = 33062")[0][0]);
    }
}
