using HaPortal.Core.Audit;
using HaPortal.Core.ProxySql;
using HaPortal.Core.Rendering;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;
using HaPortal.Tests.Rendering;

namespace HaPortal.Tests.ProxySql;

/// <summary>Read fallback, writer_is_also_reader and the read-your-writes rule: topology file, validation, rendering, evaluation, rollout.</summary>
public sealed class ReadRoutingTests : IAsyncLifetime
{
    private readonly ProxySqlAdminDouble _double = ProxySqlAdminDouble.Start();
    private readonly TestDatabase _db = new();
    private readonly Actor _operator = new("olga", new HashSet<string> { Roles.Operator });
    private IProxySqlAdmin _node = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TopologySpec WithOptions(bool fallback = true, int weight = 1, bool writerIsAlsoReader = true, int rywSeconds = 5) =>
        Topologies.Seed with
        {
            Web = Topologies.Seed.Web with { ReadYourWritesSeconds = rywSeconds },
            SqlRouter = Topologies.Seed.SqlRouter! with
            {
                ReadFallback = new ReadFallbackSpec { Enabled = fallback, Weight = weight },
                WriterIsAlsoReader = writerIsAlsoReader,
            },
        };

    public async ValueTask InitializeAsync()
    {
        _node = new ProxySqlAdminClient(new ProxySqlEndpoint("127.0.0.1", _double.Port, _double.User, _double.Password), "proxysql1");
        Assert.True((await _node.ReplaceServersAsync(
        [
            new() { HostgroupId = 10, Hostname = "db1", Comment = "db1 primary" },
            new() { HostgroupId = 20, Hostname = "db2", Weight = 1000 },
        ], Ct)).Succeeded);
        Assert.True((await _node.ReplaceReplicationHostgroupsAsync([new ReplicationHostgroup(10, 20)], Ct)).Succeeded);
    }

    public async ValueTask DisposeAsync()
    {
        await _double.DisposeAsync();
        _db.Dispose();
    }

    [Fact]
    public void TopologyFile_NewOptions_RoundTrip()
    {
        var spec = WithOptions(weight: 3, rywSeconds: 7);

        var yaml = TopologyYaml.Serialize(spec);
        var again = TopologyYaml.Parse(yaml);

        Assert.Contains("readYourWritesSeconds: 7", yaml);
        Assert.Contains("writerIsAlsoReader: true", yaml);
        Assert.True(again.IsValid, string.Join("\n", again.Report.Problems));
        Assert.Equal(spec, again.Spec);
        Assert.Equal(3, again.Spec!.SqlRouter!.ReadFallback.Weight);
    }

    [Fact]
    public void TopologyFile_UnknownKeyUnderReadFallback_IsAProblemWithItsPath()
    {
        var yaml = TopologyYaml.Serialize(WithOptions()).Replace("    weight: 1\n  writerIsAlsoReader", "    weight: 1\n    wieght: 2\n  writerIsAlsoReader", StringComparison.Ordinal);

        var result = TopologyYaml.Parse(yaml);

        Assert.Contains(result.Report.Problems, p => p.Path.Contains("readFallback", StringComparison.Ordinal) && p.Path.Contains("wieght", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, 1, false, 5, "sqlRouter.readFallback.enabled")]
    [InlineData(true, 0, true, 5, "sqlRouter.readFallback.weight")]
    [InlineData(false, 1, true, -1, "web.readYourWritesSeconds")]
    [InlineData(false, 1, true, 3601, "web.readYourWritesSeconds")]
    public void Validate_BadReadRouting_NamesTheField(bool fallback, int weight, bool writerIsAlsoReader, int ryw, string field) =>
        Assert.Contains(TopologyValidator.Validate(WithOptions(fallback, weight, writerIsAlsoReader, ryw)).Errors, e => e.Path == field);

    [Fact]
    public void Validate_RuleIdOneWhileReadYourWritesIsOn_IsReserved()
    {
        var spec = WithOptions();
        spec = spec with { SqlRouter = spec.SqlRouter! with { QueryRules = [.. spec.SqlRouter.QueryRules, new QueryRuleSpec { Id = 1, MatchDigest = "^X", Destination = "reader" }] } };

        Assert.Contains(TopologyValidator.Validate(spec).Errors, e => e.Path == "sqlRouter.queryRules[2].id" && e.Message.Contains("reserved", StringComparison.Ordinal));
        Assert.Empty(TopologyValidator.Validate(spec with { Web = spec.Web with { ReadYourWritesSeconds = 0 } }).Errors);
    }

    [Fact]
    public void Render_Options_PutFallbackRowRuleAndVariable()
    {
        var spec = WithOptions(weight: 2);

        var cnf = ProxySqlRenderer.RenderCnf(spec, StackSecrets.Placeholders);
        var sql = ProxySqlRenderer.RenderAdminSql(spec, StackSecrets.Placeholders);

        Assert.Contains("{ address=\"db1\", port=3306, hostgroup=20, weight=2, comment=\"db1 primary (read fallback)\" }", cnf);
        Assert.Contains("monitor_writer_is_also_reader=true", cnf);
        Assert.Contains("{ rule_id=1, active=1, match_pattern=\"^/\\\\* haportal:rw \\\\*/\", destination_hostgroup=10, apply=1,", cnf);
        Assert.Contains(sql, s => s.Contains("(20,'db1',3306,2,'db1 primary (read fallback)')", StringComparison.Ordinal));
        Assert.Contains("UPDATE global_variables SET variable_value='true' WHERE variable_name='mysql-monitor_writer_is_also_reader'", sql);
        Assert.Contains(sql, s => s.StartsWith("INSERT INTO mysql_query_rules", StringComparison.Ordinal) && s.Contains("(1,1,NULL,NULL,0,NULL,'^/\\* haportal:rw \\*/',0,NULL,10,1,", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_OptionsOff_NoFallbackRowNoRule()
    {
        var cnf = ProxySqlRenderer.RenderCnf(WithOptions(fallback: false, writerIsAlsoReader: false, rywSeconds: 0), StackSecrets.Placeholders);

        Assert.DoesNotContain("read fallback", cnf);
        Assert.DoesNotContain("haportal:rw", cnf);
        Assert.Contains("monitor_writer_is_also_reader=false", cnf);
    }

    [Theory]
    [InlineData("/* haportal:rw */ SELECT @@hostname, @@server_id, @@read_only; SELECT id FROM posts WHERE id = 3", 10)]
    [InlineData("SELECT @@hostname, @@server_id, @@read_only; SELECT id FROM posts WHERE id = 3", 20)]
    [InlineData("SELECT id FROM posts /* haportal:rw */ WHERE id = 3", 20)]
    [InlineData("/* haportal:rw */ INSERT INTO comments (body) VALUES ('x')", 10)]
    public void Evaluate_RenderedRules_MarkedSelectGoesToWriterUnmarkedToReader(string sql, int hostgroup)
    {
        var spec = WithOptions();
        var rules = ReadYourWritesRule.EffectiveRules(spec).Select(r => QueryRuleOperations.FromSpec(r, spec.SqlRouter!.Hostgroups)).ToList();

        var decision = QueryRuleEvaluator.Evaluate(rules, new QueryContext(sql, "app", "blog"), 10);

        Assert.Equal(hostgroup, decision.Hostgroup);
    }

    [Fact]
    public async Task Apply_ReadFallback_PrimaryInReaderHostgroupAtLowWeightInRuntime_StoredAndAudited()
    {
        var seed = Topologies.Seed;
        Assert.True((await _db.Topologies.SaveAsync(seed, _operator, "seed", Ct)).Saved);
        var ops = new ReadRoutingOperations(_db.Topologies, _db.Audit);

        var outcome = await ops.ApplyAsync(new RuleTarget([_node], seed.Name), new ReadRouting(true, 1, true), _operator, Ct);

        Assert.True(outcome.Succeeded, string.Join("; ", outcome.Problems) + outcome.Rollout?.Nodes.FirstOrDefault());
        var runtime = await _node.GetServersAsync(AdminLayer.Runtime, Ct);
        var fallback = Assert.Single(runtime, s => s.HostgroupId == 20 && s.Hostname == "db1");
        Assert.Equal(1, fallback.Weight);
        Assert.Equal(new ReadRouting(true, 1, true), await ReadRoutingOperations.ReadAsync(_node, Ct));
        Assert.True((await _db.Topologies.GetAsync(seed.Name, ct: Ct))!.Spec.SqlRouter!.ReadFallback.Enabled);
        var entry = Assert.Single(await _db.Audit.QueryAsync(new AuditQuery(Action: "proxysql.read-routing"), Ct));
        Assert.Contains("read fallback off", entry.Before);
        Assert.Contains("read fallback on (weight 1)", entry.After);

        var off = await ops.ApplyAsync(new RuleTarget([_node], seed.Name), new ReadRouting(false, 1, false), _operator, Ct);

        Assert.True(off.Succeeded);
        Assert.DoesNotContain(await _node.GetServersAsync(AdminLayer.Runtime, Ct), s => s.HostgroupId == 20 && s.Hostname == "db1");
        Assert.Contains(await _node.GetVariablesAsync(ReadRouting.WriterIsAlsoReaderVariable, AdminLayer.Runtime, Ct), v => v.Value == "false");
    }

    [Fact]
    public async Task Apply_FallbackWithoutWriterIsAlsoReader_RefusedAndNothingChanges()
    {
        var ops = new ReadRoutingOperations(_db.Topologies, _db.Audit);
        var before = _double.Statements.Count;

        var outcome = await ops.ApplyAsync(new RuleTarget([_node]), new ReadRouting(true, 0, false), _operator, Ct);

        Assert.Equal(["fallbackWeight", "writerIsAlsoReader"], outcome.Problems.Select(p => p.Field));
        Assert.DoesNotContain(_double.Statements.Skip(before), s => s.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase) || s.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Apply_Viewer_IsRefused() =>
        await Assert.ThrowsAsync<ForbiddenException>(() => new ReadRoutingOperations(_db.Topologies, _db.Audit)
            .ApplyAsync(new RuleTarget([_node]), new ReadRouting(true, 1, true), new Actor("vera", new HashSet<string> { Roles.Viewer }), Ct));
}
