using System.Text.Json;
using HaPortal.Cli;
using HaPortal.Core.ProxySql;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.ProxySql;

/// <summary>rules/servers commands against the double: in process through PortalCommandLine, and changes through the real executable.</summary>
public sealed class ProxySqlCommandTests : IAsyncLifetime
{
    private readonly ProxySqlAdminDouble _double = ProxySqlAdminDouble.Start("admin", "cli-pw");
    private readonly string _passwordEnv = $"HAPORTAL_TEST_PROXYSQL_PW_{Guid.NewGuid():N}";
    private readonly string _data = Directory.CreateTempSubdirectory("haportal-proxysql-cli-").FullName;
    private IProxySqlAdmin _node = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Admin => $"127.0.0.1:{_double.Port}";

    public async ValueTask InitializeAsync()
    {
        Environment.SetEnvironmentVariable(_passwordEnv, "cli-pw");
        _node = new ProxySqlAdminClient(new ProxySqlEndpoint("127.0.0.1", _double.Port, "admin", "cli-pw"));
        Assert.True((await _node.ReplaceServersAsync(
        [
            new() { HostgroupId = 10, Hostname = "127.0.0.1", Port = 33061, Comment = "db1 primary" },
            new() { HostgroupId = 20, Hostname = "127.0.0.1", Port = 33062, Comment = "db2 replica" },
        ], Ct)).Succeeded);
        Assert.True((await _node.ReplaceUsersAsync([new() { Username = "app", Password = "apppw", DefaultHostgroup = 10 }], Ct)).Succeeded);
        Assert.True((await _node.ReplaceQueryRulesAsync(QueryRuleEvaluatorTests.SeedRules, Ct)).Succeeded);
    }

    public async ValueTask DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_passwordEnv, null);
        await _double.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await PortalCommandLine.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task RulesList_Json_RulesInOrderWithHits()
    {
        _double.ExecuteDirect("UPDATE stats.stats_mysql_query_rules SET hits = 60 WHERE rule_id = 200");

        var (exit, output, _) = await RunAsync("rules", "list", "--admin", Admin, "--password-env", _passwordEnv, "--json");

        Assert.Equal(0, exit);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().Select(e => (e.GetProperty("rule").GetProperty("ruleId").GetInt32(), e.GetProperty("hits").GetInt64()));
        Assert.Equal([(100, 0L), (200, 60L)], rows);
    }

    [Fact]
    public async Task RulesTest_LockingRead_ShowsChainAndWriterHostgroup()
    {
        var (exit, output, _) = await RunAsync("rules", "test", "SELECT id FROM posts WHERE id=5 FOR UPDATE", "--as-user", "app",
            "--admin", Admin, "--password-env", _passwordEnv);

        Assert.Equal(0, exit);
        Assert.Contains("digest: SELECT id FROM posts WHERE id=? FOR UPDATE", output);
        Assert.Contains("rule 100 (flagIN 0): MATCH", output);
        Assert.Contains("→ hostgroup 10 (rule 100)", output);
    }

    [Fact]
    public async Task RulesTest_Json_PlainSelectGoesToReader()
    {
        var (exit, output, _) = await RunAsync("rules", "test", "select count(*) from posts", "--admin", Admin, "--password-env", _passwordEnv, "--json");

        Assert.Equal(0, exit);
        Assert.Equal(20, JsonDocument.Parse(output).RootElement.GetProperty("hostgroup").GetInt32());
    }

    [Fact]
    public async Task ServersList_ShowsHostgroupsAndStatus()
    {
        var (exit, output, _) = await RunAsync("servers", "list", "--admin", Admin, "--password-env", _passwordEnv);

        Assert.Equal(0, exit);
        Assert.Contains("127.0.0.1:33062", output);
        Assert.Matches(@"20 127\.0\.0\.1:33062\s+ONLINE", output);
    }

    [Fact]
    public async Task MissingPasswordVariable_And_BadAddress_ExitTwoWithEveryProblem()
    {
        var (exit, _, error) = await RunAsync("rules", "list", "--admin", "localhost:notaport", "--password-env", "HAPORTAL_TEST_UNSET_VARIABLE");

        Assert.Equal(2, exit);
        Assert.Contains("--password-env: environment variable HAPORTAL_TEST_UNSET_VARIABLE is not set", error);
        Assert.Contains("--admin: 'localhost:notaport' has no valid port", error);
    }

    [Fact]
    public async Task WrongPassword_ExitOneWithProxySqlMessage()
    {
        Environment.SetEnvironmentVariable(_passwordEnv, "wrong");

        var (exit, _, error) = await RunAsync("rules", "list", "--admin", Admin, "--password-env", _passwordEnv);

        Assert.Equal(1, exit);
        Assert.Contains("Access denied for user 'admin'", error);
        Assert.DoesNotContain("wrong", error);
    }

    [Fact]
    public async Task RulesAdd_ThroughExecutable_AppliedAndInvalidOneRefused()
    {
        var added = await PortalCli.RunAsync(_data, "rules", "add", "--id", "50", "--match-pattern", @"^/\* rw \*/", "--destination", "10",
            "--apply", "true", "--comment", "read-your-writes", "--admin", Admin, "--password-env", _passwordEnv);
        var refused = await PortalCli.RunAsync(_data, "rules", "add", "--id", "60", "--match-digest", "^SELECT (", "--destination", "99",
            "--admin", Admin, "--password-env", _passwordEnv);

        Assert.True(added.ExitCode == 0, added.Error);
        Assert.Contains("applied and confirmed in runtime", added.Out);
        Assert.Equal([50, 100, 200], (await _node.GetQueryRulesAsync(AdminLayer.Runtime, Ct)).Select(r => r.RuleId));
        Assert.Equal(@"^/\* rw \*/", (await _node.GetQueryRulesAsync(AdminLayer.Disk, Ct))[0].MatchPattern);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains(refused.ErrorLines, l => l.StartsWith("rules[3].matchDigest: ", StringComparison.Ordinal));
        Assert.Contains(refused.ErrorLines, l => l.StartsWith("rules[3].destinationHostgroup: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServersReadRouting_ThroughExecutable_InvalidExit2_ValidAppliedAndShown()
    {
        Assert.True((await _node.ReplaceReplicationHostgroupsAsync([new ReplicationHostgroup(10, 20)], Ct)).Succeeded);

        var invalid = await PortalCli.RunAsync(_data, "servers", "read-routing", "--fallback", "true", "--weight", "0", "--writer-is-also-reader", "false",
            "--admin", Admin, "--password-env", _passwordEnv);
        var applied = await PortalCli.RunAsync(_data, "servers", "read-routing", "--fallback", "true", "--weight", "2", "--admin", Admin, "--password-env", _passwordEnv);
        var (exit, shown, _) = await RunAsync("servers", "read-routing", "--admin", Admin, "--password-env", _passwordEnv, "--json");

        Assert.Equal(2, invalid.ExitCode);
        Assert.Equal(["--weight", "--writer-is-also-reader"], invalid.ErrorLines.Select(l => l.Split(':')[0]));
        Assert.True(applied.ExitCode == 0, applied.Error);
        Assert.Equal(0, exit);
        Assert.Equal(2, JsonDocument.Parse(shown).RootElement.GetProperty("fallbackWeight").GetInt32());
        Assert.Contains(await _node.GetServersAsync(AdminLayer.Runtime, Ct), s => s.HostgroupId == 20 && s.Port == 33061 && s.Weight == 2);
    }

    [Fact]
    public async Task ServersOfflineThenOnline_ThroughExecutable_RuntimeFollows()
    {
        var offline = await PortalCli.RunAsync(_data, "servers", "offline", "127.0.0.1:33062", "--admin", Admin, "--password-env", _passwordEnv);
        var statusWhileOffline = (await _node.GetServersAsync(AdminLayer.Runtime, Ct)).Single(s => s.Port == 33062).Status;
        var online = await PortalCli.RunAsync(_data, "servers", "online", "127.0.0.1:33062", "--admin", Admin, "--password-env", _passwordEnv, "--json");
        var unknown = await PortalCli.RunAsync(_data, "servers", "offline", "127.0.0.1:1", "--admin", Admin, "--password-env", _passwordEnv);

        Assert.True(offline.ExitCode == 0, offline.Error);
        Assert.Equal(ServerStatus.OfflineSoft, statusWhileOffline);
        Assert.Equal(0, online.ExitCode);
        Assert.True(JsonDocument.Parse(online.Out).RootElement.GetProperty("succeeded").GetBoolean());
        Assert.Equal(ServerStatus.Online, (await _node.GetServersAsync(AdminLayer.Runtime, Ct)).Single(s => s.Port == 33062).Status);
        Assert.Equal(2, unknown.ExitCode);
    }

    [Fact]
    public async Task RulesUpdateThenDelete_ThroughExecutable_OnlyGivenFieldsChange()
    {
        var updated = await PortalCli.RunAsync(_data, "rules", "update", "--id", "200", "--comment", "reads to replicas", "--active", "false",
            "--admin", Admin, "--password-env", _passwordEnv, "--json");
        var rule = (await _node.GetQueryRulesAsync(AdminLayer.Runtime, Ct)).Single(r => r.RuleId == 200);
        var deleted = await PortalCli.RunAsync(_data, "rules", "delete", "100", "--admin", Admin, "--password-env", _passwordEnv);
        var missing = await PortalCli.RunAsync(_data, "rules", "update", "--id", "4242", "--apply", "true", "--admin", Admin, "--password-env", _passwordEnv);

        Assert.True(updated.ExitCode == 0, updated.Error);
        Assert.True(JsonDocument.Parse(updated.Out).RootElement.GetProperty("succeeded").GetBoolean());
        Assert.Equal(("reads to replicas", false, "^SELECT", 20), (rule.Comment!, rule.Active, rule.MatchDigest!, rule.DestinationHostgroup!.Value));
        Assert.Equal(0, deleted.ExitCode);
        Assert.Equal([200], (await _node.GetQueryRulesAsync(AdminLayer.Disk, Ct)).Select(r => r.RuleId));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--id: there is no rule 4242 to update.", missing.Error);
    }
}
