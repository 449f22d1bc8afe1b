using HaPortal.Components.Pages.ProxySql;
using HaPortal.Core.ProxySql;
using HaPortal.Core.Security;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.ProxySql;

/// <summary>
/// The rules page's model over two doubles when the second node refuses a change: the change can be retried on that
/// node only, or taken back from the canary that applied it.
/// </summary>
public sealed class QueryRulesPartialRolloutTests : IAsyncLifetime
{
    private readonly ProxySqlAdminDouble _canary = ProxySqlAdminDouble.Start("admin", "pw");
    private readonly ProxySqlAdminDouble _second = ProxySqlAdminDouble.Start("admin", "pw");
    private readonly TestDatabase _db = new();
    private readonly Actor _operator = new("olga", new HashSet<string> { Roles.Operator });
    private IProxySqlAdmin[] _nodes = [];
    private QueryRulesModel _model = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _nodes = [Client(_canary), Client(_second)];
        foreach (var node in _nodes)
        {
            Assert.True((await node.ReplaceServersAsync([new() { HostgroupId = 10, Hostname = "db1" }, new() { HostgroupId = 20, Hostname = "db2" }], Ct)).Succeeded);
            Assert.True((await node.ReplaceQueryRulesAsync(QueryRuleEvaluatorTests.SeedRules, Ct)).Succeeded);
        }
        _model = new QueryRulesModel(_nodes, null, new QueryRuleOperations(_db.Topologies, _db.Audit));
        await _model.LoadAsync(Ct);

        _second.FailOn("LOAD MYSQL QUERY RULES TO RUNTIME", "injected: second node down");
        var rule = _model.Rules[0];
        Assert.False(await _model.ToggleAsync(rule, _operator, Ct));
        Assert.NotNull(_model.Partial);
        Assert.Contains("injected: second node down", _model.Outcome);
    }

    [Fact]
    public async Task Retry_RollsTheChangeOutToTheNodeThatMissedIt()
    {
        var first = _model.Rules[0].RuleId;

        Assert.True(await _model.RetryAsync(_operator, Ct));

        Assert.Null(_model.Partial);
        Assert.Equal(await ActiveAsync(_nodes[0], first), await ActiveAsync(_nodes[1], first));
        Assert.NotEqual(ActiveIn(QueryRuleEvaluatorTests.SeedRules, first), await ActiveAsync(_nodes[1], first));
    }

    [Fact]
    public async Task RollBack_PutsTheCanaryBackAsBefore()
    {
        var first = _model.Rules[0].RuleId;

        Assert.True(await _model.RollBackAsync(_operator, Ct));

        Assert.Null(_model.Partial);
        Assert.Equal(ActiveIn(QueryRuleEvaluatorTests.SeedRules, first), await ActiveAsync(_nodes[0], first));
        Assert.Equal(ActiveIn(QueryRuleEvaluatorTests.SeedRules, first), await ActiveAsync(_nodes[1], first));
    }

    private static IProxySqlAdmin Client(ProxySqlAdminDouble d) => new ProxySqlAdminClient(new ProxySqlEndpoint("127.0.0.1", d.Port, "admin", "pw"));

    private static bool ActiveIn(IEnumerable<ProxySqlQueryRule> rules, int id) => rules.Single(r => r.RuleId == id).Active;

    private static async Task<bool> ActiveAsync(IProxySqlAdmin node, int id) =>
        ActiveIn(await node.GetQueryRulesAsync(AdminLayer.Runtime, Ct), id);

    public async ValueTask DisposeAsync()
    {
        await _canary.DisposeAsync();
        await _second.DisposeAsync();
        _db.Dispose();
    }
}
