using Bunit;
using HaPortal.Components.Pages.ProxySql;
using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using HaPortal.Core.ProxySql;
using HaPortal.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace HaPortal.Tests.ProxySql;

/// <summary>The servers page with bunit against two doubles (canary + second node).</summary>
public sealed class ServersPageTests : IAsyncLifetime
{
    private readonly ProxySqlAdminDouble _canary = ProxySqlAdminDouble.Start("admin", "srv-pw");
    private readonly ProxySqlAdminDouble _second = ProxySqlAdminDouble.Start("admin", "srv-pw");
    private readonly TestDatabase _db = new();
    private readonly BunitContext _ctx = new();
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        foreach (var d in new[] { _canary, _second })
        {
            var node = new ProxySqlAdminClient(new ProxySqlEndpoint("127.0.0.1", d.Port, "admin", "srv-pw"));
            Assert.True((await node.ReplaceServersAsync([new() { HostgroupId = 10, Hostname = "db1" }, new() { HostgroupId = 20, Hostname = "db2" }], Ct)).Succeeded);
            Assert.True((await node.ReplaceReplicationHostgroupsAsync([new ReplicationHostgroup(10, 20)], Ct)).Succeeded);
        }
        _canary.AddDigest(20, "blog", "app", "SELECT * FROM posts WHERE id=?", 42);
        _ctx.AddProxySqlPage(_db, $"127.0.0.1:{_canary.Port},127.0.0.1:{_second.Port}", "srv-pw", _db.Time);
    }

    public async ValueTask DisposeAsync()
    {
        await _ctx.DisposeAsync();
        await _canary.DisposeAsync();
        await _second.DisposeAsync();
        _db.Dispose();
    }

    private static string RuntimeStatus(ProxySqlAdminDouble d) => d.QueryDirect("SELECT status FROM runtime_mysql_servers WHERE hostname = 'db2'")[0][0]!;

    [Fact]
    public void Page_ShowsServersPerHostgroupAndTopDigests()
    {
        var cut = _ctx.Render<ProxySqlServers>();

        cut.WaitForAssertion(() => Assert.Equal(["10", "20"], cut.FindAll("[data-hostgroup]").Select(e => e.GetAttribute("data-hostgroup"))), TimeSpan.FromSeconds(10));
        Assert.Contains("(reader)", cut.Find("[data-hostgroup='20']").TextContent);
        Assert.Contains("SELECT * FROM posts WHERE id=?", cut.Find("[data-hostgroup='20'] [data-test=digests]").TextContent);
        Assert.Contains("writer_is_also_reader", cut.Find("[data-test=read-routing]").TextContent);
    }

    [Fact]
    public void Maintenance_SecondNodeFails_RetryFinishesIt()
    {
        var cut = _ctx.Render<ProxySqlServers>();
        cut.WaitForElement("tr[data-server='20/db2:3306'] [data-test=maintenance]", TimeSpan.FromSeconds(10));
        _second.FailOn("LOAD MYSQL SERVERS TO RUNTIME", "injected: second node down");

        cut.WaitForAssertion(() =>
        {
            if (cut.FindAll("[data-test=confirm]").Count == 0) cut.Find("tr[data-server='20/db2:3306'] [data-test=maintenance]").Click();
            Assert.Contains("OFFLINE_SOFT", cut.Find("[data-test=confirm]").TextContent);
        }, TimeSpan.FromSeconds(10));
        cut.Find("[data-test=confirm-yes]").Click();

        cut.WaitForAssertion(() => Assert.Contains("injected: second node down", cut.Find("[data-test=outcome]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal("OFFLINE_SOFT", RuntimeStatus(_canary));
        Assert.Equal("ONLINE", RuntimeStatus(_second));

        cut.Find("[data-test=retry]").Click();

        cut.WaitForAssertion(() => Assert.Equal("OFFLINE_SOFT", RuntimeStatus(_second)), TimeSpan.FromSeconds(10));
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-test=retry]")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Maintenance_SecondNodeFails_RollBackRestoresTheCanary()
    {
        var cut = _ctx.Render<ProxySqlServers>();
        cut.WaitForElement("tr[data-server='20/db2:3306'] [data-test=maintenance]", TimeSpan.FromSeconds(10));
        _second.FailOn("LOAD MYSQL SERVERS TO RUNTIME", "injected");
        cut.WaitForAssertion(() =>
        {
            if (cut.FindAll("[data-test=confirm]").Count == 0) cut.Find("tr[data-server='20/db2:3306'] [data-test=maintenance]").Click();
            Assert.NotEmpty(cut.FindAll("[data-test=confirm]"));
        }, TimeSpan.FromSeconds(10));
        cut.Find("[data-test=confirm-yes]").Click();
        cut.WaitForElement("[data-test=rollback]", TimeSpan.FromSeconds(10)).Click();

        cut.WaitForAssertion(() => Assert.Equal("ONLINE", RuntimeStatus(_canary)), TimeSpan.FromSeconds(10));
        Assert.Equal("ONLINE", RuntimeStatus(_second));
    }
}
