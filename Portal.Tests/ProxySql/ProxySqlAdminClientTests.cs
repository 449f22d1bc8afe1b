using HaPortal.Core.ProxySql;

namespace HaPortal.Tests.ProxySql;

/// <summary>The admin adapter against the test double (which holds the real 2.7.1 admin schema).</summary>
public sealed class ProxySqlAdminClientTests : IAsyncLifetime
{
    private readonly ProxySqlAdminDouble _double = ProxySqlAdminDouble.Start("admin", "s3cret");
    private IProxySqlAdmin _admin = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static readonly ProxySqlQueryRule LockingReads = new()
    {
        RuleId = 100, MatchDigest = @"^SELECT\s.*FOR UPDATE", DestinationHostgroup = 10, Apply = true, Comment = "locking reads stay on the primary",
    };

    internal static readonly ProxySqlQueryRule Reads = new()
    {
        RuleId = 200, MatchDigest = "^SELECT", DestinationHostgroup = 20, Apply = true, Comment = "other reads go to replicas",
    };

    public ValueTask InitializeAsync()
    {
        _admin = new ProxySqlAdminFactory().Connect(new ProxySqlEndpoint("127.0.0.1", _double.Port, "admin", "s3cret"), "proxysql1");
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _double.DisposeAsync();

    [Fact]
    public async Task ReplaceQueryRules_InRuntimeAndOnDisk_ExactlyAsWritten()
    {
        var result = await _admin.ReplaceQueryRulesAsync([LockingReads, Reads], Ct);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal([LockingReads, Reads], await _admin.GetQueryRulesAsync(AdminLayer.Runtime, Ct));
        Assert.Equal([LockingReads, Reads], await _admin.GetQueryRulesAsync(AdminLayer.Disk, Ct));
        Assert.Equal([[@"^SELECT\s.*FOR UPDATE"]], _double.QueryDirect("SELECT match_digest FROM runtime_mysql_query_rules WHERE rule_id = 100"));
        var statements = _double.Statements.SkipWhile(s => s != "BEGIN").ToList();
        Assert.Equal(["BEGIN", "DELETE FROM mysql_query_rules"], statements.Take(2));
        Assert.Equal(["COMMIT", "LOAD MYSQL QUERY RULES TO RUNTIME", "SAVE MYSQL QUERY RULES TO DISK"], statements.Skip(4).Take(3));
    }

    [Fact]
    public async Task Replace_FailureAtLoad_RestoresAdminTablesAndNamesTheStep()
    {
        Assert.True((await _admin.ReplaceQueryRulesAsync([Reads], Ct)).Succeeded);
        _double.FailOn("LOAD MYSQL QUERY RULES TO RUNTIME", "Out of memory while loading rules");

        var result = await _admin.ReplaceQueryRulesAsync([LockingReads with { Comment = "new" }], Ct);

        Assert.Equal(ChangeStep.LoadToRuntime, result.FailedStep);
        Assert.Equal("ProxySQL Admin Error: Out of memory while loading rules", result.Message);
        Assert.True(result.Restored, result.RestoreError);
        Assert.Equal([Reads], await _admin.GetQueryRulesAsync(AdminLayer.Memory, Ct));
        Assert.Equal([Reads], await _admin.GetQueryRulesAsync(AdminLayer.Runtime, Ct));
        Assert.Equal([Reads], await _admin.GetQueryRulesAsync(AdminLayer.Disk, Ct));
        Assert.Contains("failed at LoadToRuntime: ProxySQL Admin Error: Out of memory", result.ToString());
    }

    [Fact]
    public async Task Replace_FailureAtSave_RestoresMemoryAndRuntime()
    {
        Assert.True((await _admin.ReplaceQueryRulesAsync([Reads], Ct)).Succeeded);
        _double.FailOn("SAVE MYSQL QUERY RULES TO DISK", "unable to open database file");

        var result = await _admin.ReplaceQueryRulesAsync([LockingReads], Ct);

        Assert.Equal((ChangeStep.SaveToDisk, true), (result.FailedStep, result.Restored));
        Assert.Equal([Reads], await _admin.GetQueryRulesAsync(AdminLayer.Memory, Ct));
        Assert.Equal([Reads], await _admin.GetQueryRulesAsync(AdminLayer.Runtime, Ct));
        Assert.Equal([Reads], await _admin.GetQueryRulesAsync(AdminLayer.Disk, Ct));
    }

    [Fact]
    public async Task Replace_RejectedRow_RolledBackWithProxySqlConstraintMessage()
    {
        Assert.True((await _admin.ReplaceQueryRulesAsync([Reads], Ct)).Succeeded);

        var result = await _admin.ReplaceQueryRulesAsync([LockingReads, Reads with { RuleId = 300, Multiplex = 7 }], Ct);

        Assert.Equal(ChangeStep.Write, result.FailedStep);
        Assert.Equal("ProxySQL Admin Error: CHECK constraint failed: multiplex IN (0,1,2)", result.Message);
        Assert.Equal([Reads], await _admin.GetQueryRulesAsync(AdminLayer.Memory, Ct));
    }

    [Fact]
    public async Task Servers_TakeOneOfflineSoft_RuntimeShowsStatus()
    {
        ProxySqlServer db1 = new() { HostgroupId = 10, Hostname = "127.0.0.1", Port = 33061, Weight = 1000, Comment = "db1 primary" };
        ProxySqlServer db2 = new() { HostgroupId = 20, Hostname = "127.0.0.1", Port = 33062, Weight = 1000, Comment = "db2 replica" };
        Assert.True((await _admin.ReplaceServersAsync([db1, db2], Ct)).Succeeded);

        var result = await _admin.ReplaceServersAsync([db1, db2 with { Status = ServerStatus.OfflineSoft }], Ct);

        Assert.True(result.Succeeded, result.ToString());
        var runtime = await _admin.GetServersAsync(AdminLayer.Runtime, Ct);
        Assert.Equal([ServerStatus.Online, ServerStatus.OfflineSoft], runtime.Select(s => s.Status));
    }

    [Fact]
    public async Task UsersReplicationHostgroupsPeers_RoundTripThroughRuntime()
    {
        ProxySqlUser app = new() { Username = "app", Password = "apppw", DefaultHostgroup = 10 };
        Assert.True((await _admin.ReplaceUsersAsync([app], Ct)).Succeeded);
        Assert.True((await _admin.ReplaceReplicationHostgroupsAsync([new ReplicationHostgroup(10, 20, "read_only", "seed-stack")], Ct)).Succeeded);
        Assert.True((await _admin.ReplacePeersAsync([new ProxySqlPeer("10.0.0.5"), new ProxySqlPeer("10.0.0.6")], Ct)).Succeeded);

        Assert.Equal([app], await _admin.GetUsersAsync(AdminLayer.Runtime, Ct));
        Assert.Equal([new ReplicationHostgroup(10, 20, "read_only", "seed-stack")], await _admin.GetReplicationHostgroupsAsync(AdminLayer.Disk, Ct));
        Assert.Equal(["10.0.0.5", "10.0.0.6"], (await _admin.GetPeersAsync(AdminLayer.Runtime, Ct)).Select(p => p.Hostname));
    }

    [Fact]
    public async Task SetVariables_MonitorInterval_InEffectAtRuntime()
    {
        var result = await _admin.SetVariablesAsync([new GlobalVariable("mysql-monitor_read_only_interval", "2000")], Ct);

        Assert.True(result.Succeeded, result.ToString());
        var runtime = await _admin.GetVariablesAsync("mysql-monitor_read_only_", AdminLayer.Runtime, Ct);
        Assert.Contains(new GlobalVariable("mysql-monitor_read_only_interval", "2000"), runtime);
        Assert.All(runtime, v => Assert.StartsWith("mysql-monitor_read_only_", v.Name));
    }

    [Fact]
    public async Task SetVariables_MixedModules_RefusedBeforeAnyWrite()
    {
        var result = await _admin.SetVariablesAsync([new GlobalVariable("mysql-monitor_read_only_interval", "2000"), new GlobalVariable("admin-refresh_interval", "1")], Ct);

        Assert.Equal(ChangeStep.Write, result.FailedStep);
        Assert.DoesNotContain(_double.Statements, s => s.StartsWith("UPDATE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stats_DigestsPoolAndRuleHits_Read()
    {
        Assert.True((await _admin.ReplaceQueryRulesAsync([LockingReads, Reads], Ct)).Succeeded);
        _double.AddDigest(20, "blog", "app", "SELECT @@server_id,count(*) FROM posts", 60);
        _double.AddDigest(10, "blog", "app", "INSERT INTO posts(title) VALUES (?)", 20);
        _double.ExecuteDirect("UPDATE stats.stats_mysql_query_rules SET hits = 60 WHERE rule_id = 200");
        _double.ExecuteDirect("INSERT INTO stats.stats_mysql_connection_pool VALUES (20,'127.0.0.1',33062,'ONLINE',0,1,1,0,1,60,0,2340,540,193)");

        var digests = await _admin.GetQueryDigestsAsync(Ct);
        var hits = await _admin.GetRuleHitsAsync(Ct);
        var pool = await _admin.GetConnectionPoolAsync(Ct);

        Assert.Equal([(20, 60L), (10, 20L)], digests.Select(d => (d.Hostgroup, d.CountStar)));
        Assert.Equal([new QueryRuleHits(100, 0), new QueryRuleHits(200, 60)], hits);
        Assert.Equal((60L, 2340L, 193L), (pool[0].Queries, pool[0].BytesSent, pool[0].LatencyUs));
    }

    [Fact]
    public async Task WrongPassword_ReadThrowsWithNode_ChangeReportsConnectStep()
    {
        var wrong = new ProxySqlAdminClient(new ProxySqlEndpoint("127.0.0.1", _double.Port, "admin", "nope"), "proxysql1");

        var e = await Assert.ThrowsAsync<ProxySqlAdminException>(() => wrong.GetQueryRulesAsync(ct: Ct));
        var change = await wrong.ReplaceQueryRulesAsync([Reads], Ct);

        Assert.Contains("proxysql1", e.Message);
        Assert.Contains("Access denied for user 'admin'", e.Message);
        Assert.Equal(ChangeStep.Connect, change.FailedStep);
    }

    [Fact]
    public void Endpoint_ToString_NeverShowsPassword()
    {
        var endpoint = ProxySqlEndpoint.Parse("10.0.0.5:6032", "admin", "hunter2", out var problem)!;

        Assert.Null(problem);
        Assert.Equal("admin@10.0.0.5:6032", endpoint.ToString());
        Assert.Null(ProxySqlEndpoint.Parse("10.0.0.5:notaport", "admin", "x", out problem));
        Assert.Contains("no valid port", problem);
    }
}

/// <summary>Canary rollout across two doubles.</summary>
public sealed class ProxySqlRolloutTests : IAsyncLifetime
{
    private readonly ProxySqlAdminDouble _first = ProxySqlAdminDouble.Start();
    private readonly ProxySqlAdminDouble _second = ProxySqlAdminDouble.Start();
    private IProxySqlAdmin[] _nodes = [];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _nodes = [Node(_first, "proxysql1"), Node(_second, "proxysql2")];
        return ValueTask.CompletedTask;
    }

    private static IProxySqlAdmin Node(ProxySqlAdminDouble d, string name) =>
        new ProxySqlAdminClient(new ProxySqlEndpoint("127.0.0.1", d.Port, d.User, d.Password), name);

    public async ValueTask DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    private static Func<IProxySqlAdmin, CancellationToken, Task<NodeChangeResult>> Rules(params ProxySqlQueryRule[] rules) =>
        (node, ct) => node.ReplaceQueryRulesAsync(rules, ct);

    [Fact]
    public async Task SecondNodeFails_CanaryKeepsChange_RetryFinishes()
    {
        _second.FailOn("LOAD MYSQL QUERY RULES", "lost connection to the cluster");

        var result = await ProxySqlRollout.RunAsync(_nodes, Rules(ProxySqlAdminClientTests.Reads), Ct);

        Assert.False(result.Succeeded);
        Assert.Equal([NodeState.Applied, NodeState.Failed], result.Nodes.Select(n => n.State));
        Assert.Equal(ChangeStep.LoadToRuntime, result.Nodes[1].Result!.FailedStep);
        Assert.Empty(await _nodes[1].GetQueryRulesAsync(AdminLayer.Memory, Ct));
        Assert.Equal(["proxysql2"], result.Unfinished);

        var retried = await ProxySqlRollout.RetryAsync(result, _nodes, Rules(ProxySqlAdminClientTests.Reads), Ct);

        Assert.True(retried.Succeeded);
        Assert.Equal([ProxySqlAdminClientTests.Reads], await _nodes[1].GetQueryRulesAsync(AdminLayer.Runtime, Ct));
    }

    [Fact]
    public async Task CanaryFails_OtherNodesUntouched()
    {
        _first.FailOn("SAVE MYSQL QUERY RULES", "disk I/O error");

        var result = await ProxySqlRollout.RunAsync(_nodes, Rules(ProxySqlAdminClientTests.Reads), Ct);

        Assert.True(result.CanaryFailed);
        Assert.Equal([NodeState.Failed, NodeState.NotAttempted], result.Nodes.Select(n => n.State));
        Assert.DoesNotContain(_second.Statements, s => s.StartsWith("INSERT", StringComparison.Ordinal));
        Assert.Empty(await _nodes[0].GetQueryRulesAsync(AdminLayer.Runtime, Ct));
    }

    [Fact]
    public async Task PartialFailure_RollBackAppliedNode_RestoresPreviousRules()
    {
        Assert.True((await ProxySqlRollout.RunAsync(_nodes, Rules(ProxySqlAdminClientTests.Reads), Ct)).Succeeded);
        _second.FailOn("LOAD MYSQL QUERY RULES", "boom");
        var partial = await ProxySqlRollout.RunAsync(_nodes, Rules(ProxySqlAdminClientTests.LockingReads), Ct);

        var undone = await ProxySqlRollout.RollBackAsync(partial, _nodes, Rules(ProxySqlAdminClientTests.Reads), Ct);

        Assert.True(undone.Nodes[0].Result!.Succeeded, undone.Nodes[0].ToString());
        Assert.True(undone.Nodes[1].Result!.Restored, "the failed node restored itself");
        foreach (var node in _nodes)
            Assert.Equal([ProxySqlAdminClientTests.Reads], await node.GetQueryRulesAsync(AdminLayer.Runtime, Ct));
    }
}
