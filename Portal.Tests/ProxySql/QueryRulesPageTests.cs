using AngleSharp.Dom;
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

/// <summary>The query rules page rendered with bunit against the double.</summary>
public sealed class QueryRulesPageTests : IAsyncLifetime
{
    private readonly ProxySqlAdminDouble _double = ProxySqlAdminDouble.Start("admin", "ui-pw");
    private readonly TestDatabase _db = new();
    private readonly BunitContext _ctx = new();
    private IProxySqlAdmin _node = null!;
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _node = new ProxySqlAdminClient(new ProxySqlEndpoint("127.0.0.1", _double.Port, "admin", "ui-pw"));
        Assert.True((await _node.ReplaceServersAsync([new() { HostgroupId = 10, Hostname = "db1" }, new() { HostgroupId = 20, Hostname = "db2" }], Ct)).Succeeded);
        Assert.True((await _node.ReplaceReplicationHostgroupsAsync([new ReplicationHostgroup(10, 20)], Ct)).Succeeded);
        Assert.True((await _node.ReplaceUsersAsync([new() { Username = "app", Password = "x", DefaultHostgroup = 10 }], Ct)).Succeeded);
        Assert.True((await _node.ReplaceQueryRulesAsync(QueryRuleEvaluatorTests.SeedRules, Ct)).Succeeded);
        _double.AddDigest(10, "blog", "app", "SELECT @@server_id FROM posts WHERE id=? FOR UPDATE", 1);
        _double.ExecuteDirect("UPDATE stats.stats_mysql_query_rules SET hits = 60 WHERE rule_id = 200");

        _ctx.AddProxySqlPage(_db, $"127.0.0.1:{_double.Port}", "ui-pw");
    }

    public async ValueTask DisposeAsync()
    {
        await _ctx.DisposeAsync();
        await _double.DisposeAsync();
        _db.Dispose();
    }

    private static IElement Field(IRenderedComponent<QueryRules> cut, string name) =>
        cut.WaitForElement($"input[data-test={name}], textarea[data-test={name}], [data-test={name}] input, [data-test={name}] textarea", TimeSpan.FromSeconds(10));

    [Fact]
    public void Page_ShowsRulesInOrderWithHits()
    {
        var cut = _ctx.Render<QueryRules>();

        cut.WaitForAssertion(() => Assert.Equal(["100", "200"], cut.FindAll("tr[data-rule]").Select(r => r.GetAttribute("data-rule"))), TimeSpan.FromSeconds(10));
        Assert.Equal("60", cut.Find("tr[data-rule='200'] [data-test=hits]").TextContent.Trim());
    }

    [Fact]
    public void TestBench_LockingRead_GoesToWriterByRule100()
    {
        var cut = _ctx.Render<QueryRules>();
        cut.WaitForElement("[data-test=test-bench]", TimeSpan.FromSeconds(10));

        Field(cut, "bench-sql").Input("SELECT * FROM posts WHERE id=3 FOR UPDATE");
        cut.Find("[data-test=bench-run]").Click();

        cut.WaitForAssertion(() => Assert.Contains("→ hostgroup 10 (rule 100)", cut.Find("[data-test=bench-hostgroup]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal("SELECT * FROM posts WHERE id=? FOR UPDATE", cut.Find("[data-test=bench-digest]").TextContent);
    }

    [Fact]
    public async Task AddRule_DryRunWarns_SaveAppliesToRuntime()
    {
        var cut = _ctx.Render<QueryRules>();
        cut.WaitForElement("[data-test=add]", TimeSpan.FromSeconds(10));
        // Re-find after the load settles: a button from an earlier render may carry a stale handler.
        cut.WaitForAssertion(() =>
        {
            if (cut.FindAll("[data-test=editor]").Count == 0) cut.Find("[data-test=add]").Click();
            Assert.NotEmpty(cut.FindAll("[data-test=editor]"));
        }, TimeSpan.FromSeconds(10));

        Field(cut, "rule-id").Change("50");
        Field(cut, "match-digest").Change("FOR UPDATE");
        Field(cut, "destination").Change("20");
        cut.Find("[data-test=dry-run]").Click();
        cut.WaitForAssertion(() => Assert.Contains("would go to reader hostgroup 20", cut.Find("[data-test=dry-run-warning]").TextContent), TimeSpan.FromSeconds(10));
        cut.Find("[data-test=save]").Click();

        cut.WaitForAssertion(() => Assert.Contains("applied and confirmed in runtime", cut.Find("[data-test=outcome]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal([50, 100, 200], (await _node.GetQueryRulesAsync(AdminLayer.Runtime, Ct)).Select(r => r.RuleId));
    }
}
