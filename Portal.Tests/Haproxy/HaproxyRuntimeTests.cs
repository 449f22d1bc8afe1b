using HaPortal.Core.Haproxy;

namespace HaPortal.Tests.Haproxy;

/// <summary>The runtime adapter against a real HAProxy 2.6 with two real HTTP backends.</summary>
public sealed class HaproxyRuntimeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("unix")]
    [InlineData("tcp")]
    public async Task ListBackends_BothEndpoints_ReportServersUpWithWeightAndPassingCheck(string kind)
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var runtime = kind == "unix" ? stack.Runtime : stack.TcpRuntime;

        var backend = (await runtime.ListBackendsAsync(Ct)).Single(b => b.Name == HaproxyStack.Backend);

        Assert.Equal("roundrobin", backend.Algorithm);
        Assert.Equal("SERVERID", backend.Cookie);
        Assert.Equal(["web1", "web2"], backend.Servers.Select(s => s.Name));
        Assert.All(backend.Servers, s =>
        {
            Assert.Equal(ServerOperationalState.Running, s.Operational);
            Assert.Equal(ServerAdminState.Ready, s.Admin);
            Assert.Equal(100, s.Weight);
            Assert.Equal("L7OK", s.CheckStatus);
            Assert.True(s.HealthCheckEnabled);
            Assert.Equal("UP", s.Status);
        });
        Assert.Equal(stack.BackendPorts["web2"], backend.Servers[1].Port);
    }

    [Fact]
    public async Task SetWeight_IsVisibleInShowServersState()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        await stack.Runtime.SetWeightAsync("web", "web1", 37, Ct);

        var web1 = await stack.Runtime.GetServerAsync("web", "web1", Ct);
        Assert.Equal(37, web1!.Weight);
        Assert.Equal(100, web1.InitialWeight);
    }

    [Theory]
    [InlineData(ServerAdminState.Drain, "DRAIN")]
    [InlineData(ServerAdminState.Maint, "MAINT")]
    public async Task SetState_ThenReady_IsVisibleEachTime(ServerAdminState state, string status)
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        await stack.Runtime.SetStateAsync("web", "web2", state, Ct);
        var changed = await stack.Runtime.GetServerAsync("web", "web2", Ct);
        await stack.Runtime.SetStateAsync("web", "web2", ServerAdminState.Ready, Ct);
        var ready = await stack.Runtime.GetServerAsync("web", "web2", Ct);

        Assert.Equal(state, changed!.Admin);
        Assert.Equal(status, changed.Status);
        Assert.Equal(ServerAdminState.Ready, ready!.Admin);
    }

    [Fact]
    public async Task DisableHealth_ClearsTheCheckFlag_EnableRestoresIt()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        await stack.Runtime.SetHealthCheckAsync("web", "web1", enabled: false, Ct);
        var disabled = await stack.Runtime.GetServerAsync("web", "web1", Ct);
        await stack.Runtime.SetHealthCheckAsync("web", "web1", enabled: true, Ct);
        var enabled = await stack.Runtime.GetServerAsync("web", "web1", Ct);

        Assert.False(disabled!.HealthCheckEnabled);
        Assert.True(enabled!.HealthCheckEnabled);
    }

    [Fact]
    public async Task UnknownServer_RaisesCommandErrorNamingTheCommandAndHaproxysReply()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        var e = await Assert.ThrowsAsync<HaproxyCommandException>(() => stack.Runtime.SetWeightAsync("web", "nope", 5, Ct));

        Assert.Equal("set server web/nope weight 5", e.Command);
        Assert.Equal("No such server.", e.Reply);
        Assert.Contains("set server web/nope weight 5", e.Message);
    }

    [Fact]
    public async Task OutOfRangeWeight_IsRefusedByHaproxyWithItsReason()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        var e = await Assert.ThrowsAsync<HaproxyCommandException>(() => stack.Runtime.SetWeightAsync("web", "web1", 300, Ct));

        Assert.Contains("between 0 and 256", e.Reply);
        Assert.Equal(100, (await stack.Runtime.GetServerAsync("web", "web1", Ct))!.Weight);
    }

    [Fact]
    public async Task Drain_StopsNewSessions_WhileAStickySessionStillReachesItsServer()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        using var client = stack.Client();
        var (cookie, first) = await StickySessionAsync(client);

        await stack.Runtime.SetStateAsync("web", first, ServerAdminState.Drain, Ct);

        var other = first == "web1" ? "web2" : "web1";
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal($"backend {first}", await GetAsync(client, cookie));
            Assert.Equal($"backend {other}", await GetAsync(client, cookie: null));
        }
    }

    [Fact]
    public async Task AddServer_TakesTraffic_DeleteServer_RemovesIt()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        using var client = stack.Client();
        await stack.Runtime.SetStateAsync("web", "web1", ServerAdminState.Maint, Ct);
        await stack.Runtime.SetStateAsync("web", "web2", ServerAdminState.Maint, Ct);

        await stack.Runtime.AddServerAsync("web", new DynamicServer("web3", "127.0.0.1", stack.BackendPorts["web3"], Weight: 50), Ct);
        await stack.WaitUntilAsync(async () => (await stack.Runtime.GetServerAsync("web", "web3", Ct))?.Operational == ServerOperationalState.Running,
            "web3 passes its health check", Ct);
        var added = await stack.Runtime.GetServerAsync("web", "web3", Ct);
        var answer = await GetAsync(client, cookie: null);
        var removal = await stack.Runtime.DeleteServerAsync("web", "web3", TimeSpan.FromSeconds(10), ct: Ct);

        Assert.Equal(50, added!.Weight);
        Assert.True(added.HealthCheckEnabled);
        Assert.Equal("backend web3", answer);
        Assert.Equal(new ServerRemoval(RemovalOutcome.Deleted, 0), removal);
        Assert.Null(await stack.Runtime.GetServerAsync("web", "web3", Ct));
    }

    [Fact]
    public async Task AddServer_WithCookie_IsRefusedBy26WithItsReason()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        var e = await Assert.ThrowsAsync<HaproxyCommandException>(() =>
            stack.Runtime.AddServerAsync("web", new DynamicServer("web3", "127.0.0.1", stack.BackendPorts["web3"], Cookie: "web3"), Ct));

        Assert.StartsWith("add server web/web3", e.Command);
        Assert.Contains("cookie", e.Reply);
        Assert.Null(await stack.Runtime.GetServerAsync("web", "web3", Ct));
    }

    [Fact]
    public async Task DeleteServer_WithAnOpenSession_TimesOutAndKeepsIt_UnlessAskedToShutItDown()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        using var client = stack.Client();
        var (cookie, server) = await StickySessionAsync(client);
        using var held = new HttpRequestMessage(HttpMethod.Get, "/hold");
        held.Headers.Add("Cookie", cookie);
        _ = client.SendAsync(held, Ct);
        await stack.WaitUntilAsync(async () => (await stack.Runtime.GetServerAsync("web", server, Ct))!.CurrentSessions == 1,
            "the held request is in flight", Ct);

        var timedOut = await stack.Runtime.DeleteServerAsync("web", server, TimeSpan.FromMilliseconds(300), ct: Ct);
        var stillThere = await stack.Runtime.GetServerAsync("web", server, Ct);
        var forced = await stack.Runtime.DeleteServerAsync("web", server, TimeSpan.Zero, shutdownRemaining: true, Ct);

        Assert.Equal(new ServerRemoval(RemovalOutcome.TimedOut, 1), timedOut);
        Assert.Equal(ServerAdminState.Drain, stillThere!.Admin);
        Assert.Equal(new ServerRemoval(RemovalOutcome.Deleted, 1), forced);
        Assert.Null(await stack.Runtime.GetServerAsync("web", server, Ct));
        stack.Release.SetResult();
    }

    /// <summary>A first request without cookie: HAProxy picks a server and inserts SERVERID naming it.</summary>
    internal static async Task<(string Cookie, string Server)> StickySessionAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/", Ct);
        response.EnsureSuccessStatusCode();
        var setCookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("SERVERID=", StringComparison.Ordinal));
        var cookie = setCookie.Split(';')[0];
        var server = (await response.Content.ReadAsStringAsync(Ct))["backend ".Length..];
        Assert.Equal($"SERVERID={server}", cookie);
        return (cookie, server);
    }

    internal static async Task<string> GetAsync(HttpClient client, string? cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        using var response = await client.SendAsync(request, Ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(Ct);
    }
}
