using HaPortal.Core.Audit;
using HaPortal.Core.ProxySql;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.ProxySql;

/// <summary>Rule changes end to end: validation, rollout to the double, topology revision, audit, roles, drift.</summary>
public sealed class QueryRuleOperationsTests : IAsyncLifetime
{
    private readonly ProxySqlAdminDouble _double = ProxySqlAdminDouble.Start();
    private readonly TestDatabase _db = new();
    private readonly Actor _operator = new("olga", new HashSet<string> { Roles.Operator });
    private QueryRuleOperations _ops = null!;
    private RuleTarget _target = null!;
    private IProxySqlAdmin _node = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _node = new ProxySqlAdminClient(new ProxySqlEndpoint("127.0.0.1", _double.Port, _double.User, _double.Password), "proxysql1");
        Assert.True((await _node.ReplaceServersAsync(
        [
            new() { HostgroupId = 10, Hostname = "db1", Port = 3306 },
            new() { HostgroupId = 20, Hostname = "db2", Port = 3306 },
        ], Ct)).Succeeded);
        var seed = TopologyYaml.Parse(await File.ReadAllTextAsync(RepoPaths.SeedStack, Ct)).Spec!;
        Assert.True((await _db.Topologies.SaveAsync(seed, _operator, "seed", Ct)).Saved);
        var router = seed.SqlRouter!;
        Assert.True((await _node.ReplaceQueryRulesAsync(router.QueryRules.Select(r => QueryRuleOperations.FromSpec(r, router.Hostgroups)).ToList(), Ct)).Succeeded);
        _ops = new QueryRuleOperations(_db.Topologies, _db.Audit);
        _target = new RuleTarget([_node], seed.Name);
    }

    public async ValueTask DisposeAsync()
    {
        await _double.DisposeAsync();
        _db.Dispose();
    }

    private static readonly ProxySqlQueryRule ReadYourWrites = new()
    {
        RuleId = 50, MatchPattern = @"^/\* rw \*/", DestinationHostgroup = 10, Apply = true, Comment = "read-your-writes",
    };

    [Fact]
    public async Task Add_ValidRule_InRuntime_StoredAsRevision_Audited()
    {
        var outcome = await _ops.AddAsync(_target, ReadYourWrites, _operator, Ct);

        Assert.True(outcome.Succeeded, string.Join("; ", outcome.Problems));
        Assert.Equal([50, 100, 200], (await _node.GetQueryRulesAsync(AdminLayer.Runtime, Ct)).Select(r => r.RuleId));
        var stored = await _db.Topologies.GetAsync("seed-stack", ct: Ct);
        Assert.Equal(2, stored!.Revision.Number);
        Assert.Equal(2, outcome.Revision);
        Assert.Equal("writer", stored.Spec.SqlRouter!.QueryRules.Single(r => r.Id == 50).Destination);
        var entry = Assert.Single(await _db.Audit.QueryAsync(new AuditQuery(Action: "proxysql.rules"), Ct));
        Assert.Equal(("olga", "proxysql.rules.add"), (entry.User, entry.Action));
        Assert.DoesNotContain("read-your-writes", entry.Before);
        Assert.Contains("read-your-writes", entry.After);
        Assert.Contains("proxysql1: applied and confirmed in runtime", entry.Summary);
    }

    [Fact]
    public async Task Add_InvalidRule_EveryProblemWithItsField_NothingSent()
    {
        var sentBefore = _double.Statements.Count;
        var bad = ReadYourWrites with { RuleId = 200, MatchDigest = "^SELECT (", DestinationHostgroup = 99, Multiplex = 5 };

        var outcome = await _ops.AddAsync(_target, bad with { RuleId = 60 }, _operator, Ct);
        var duplicate = await _ops.AddAsync(_target, bad, _operator, Ct);

        Assert.Equal(["rules[2].matchDigest", "rules[2].destinationHostgroup", "rules[2].multiplex"], outcome.Problems.Select(p => p.Field));
        Assert.Contains("Hostgroup 99 does not exist (known: 10, 20)", outcome.Problems[1].Message);
        Assert.Equal(["ruleId"], duplicate.Problems.Select(p => p.Field));
        Assert.DoesNotContain(_double.Statements.Skip(sentBefore), s => s == "BEGIN");
        Assert.Equal(1, (await _db.Topologies.GetAsync("seed-stack", ct: Ct))!.Revision.Number);
    }

    [Fact]
    public async Task Viewer_RefusedBeforeAnythingIsRead()
    {
        var sentBefore = _double.Statements.Count;
        var viewer = new Actor("vera", new HashSet<string> { Roles.Viewer });

        await Assert.ThrowsAsync<ForbiddenException>(() => _ops.DeleteAsync(_target, 100, viewer, Ct));

        Assert.Equal(sentBefore, _double.Statements.Count);
    }

    [Fact]
    public async Task MoveUp_SwapsIdsWithNeighbour_EvaluationOrderChanges()
    {
        var outcome = await _ops.MoveAsync(_target, 200, -1, _operator, Ct);

        Assert.True(outcome.Succeeded);
        var runtime = await _node.GetQueryRulesAsync(AdminLayer.Runtime, Ct);
        Assert.Equal([(100, "^SELECT"), (200, "^SELECT .* FOR UPDATE")], runtime.Select(r => (r.RuleId, r.MatchDigest!)));
        // With ^SELECT first, locking reads now go to the reader: the change the dry run warns about.
        Assert.Equal(20, QueryRuleEvaluator.Evaluate(runtime, new QueryContext("SELECT 1 FOR UPDATE"), 10).Hostgroup);
    }

    [Fact]
    public async Task Delete_UnknownRule_Refused()
    {
        var outcome = await _ops.DeleteAsync(_target, 4242, _operator, Ct);

        Assert.Equal("There is no rule 4242 to delete.", Assert.Single(outcome.Problems).Message);
    }

    [Fact]
    public async Task Drift_RuntimeChangedByHand_ShownThenReapplied()
    {
        Assert.All(await _ops.DriftAsync(_target, Ct), d => Assert.False(d.Drifted));
        _double.ExecuteDirect("UPDATE runtime_mysql_query_rules SET destination_hostgroup = 10 WHERE rule_id = 200");

        var drift = Assert.Single(await _ops.DriftAsync(_target, Ct));
        var difference = Assert.Single(drift.Differences);
        Assert.Equal((200, 20, 10), (difference.RuleId, difference.Stored!.DestinationHostgroup, difference.Runtime!.DestinationHostgroup));

        Assert.True((await _ops.ReapplyStoredAsync(_target, _operator, Ct)).Succeeded);
        Assert.False(Assert.Single(await _ops.DriftAsync(_target, Ct)).Drifted);
    }

    [Fact]
    public async Task Drift_AdoptRuntime_StoresRuntimeRulesAsRevision()
    {
        _double.ExecuteDirect("INSERT INTO runtime_mysql_query_rules (rule_id, active, match_digest, destination_hostgroup, apply) VALUES (300, 1, '^SHOW', 20, 1)");

        var outcome = await _ops.AdoptRuntimeAsync(_target, _operator, Ct);

        Assert.True(outcome.Succeeded, string.Join("; ", outcome.Problems));
        var stored = (await _db.Topologies.GetAsync("seed-stack", ct: Ct))!.Spec.SqlRouter!.QueryRules;
        Assert.Equal([100, 200, 300], stored.Select(r => r.Id));
        Assert.False(Assert.Single(await _ops.DriftAsync(_target, Ct)).Drifted);
    }
}
