using HaPortal.Core.ProxySql;

namespace HaPortal.Tests.ProxySql;

/// <summary>
/// The Save → runtime figure against the TEST DOUBLE (no real ProxySQL here). scripts/bench-proxysql.sh runs it with
/// HAPORTAL_BENCH_SAVES and HAPORTAL_BENCH_OUT; in a normal test run it does 10 saves.
/// </summary>
public sealed class ProxySqlSaveBenchmarkTests
{
    [Fact]
    public async Task SaveToRuntime_AgainstDouble_EverySaveVisibleInRuntime_FiguresReported()
    {
        await using var proxy = ProxySqlAdminDouble.Start();
        var node = new ProxySqlAdminClient(new ProxySqlEndpoint("127.0.0.1", proxy.Port, proxy.User, proxy.Password), "double");
        Assert.True((await node.ReplaceQueryRulesAsync(QueryRuleEvaluatorTests.SeedRules, TestContext.Current.CancellationToken)).Succeeded);
        var saves = int.TryParse(Environment.GetEnvironmentVariable("HAPORTAL_BENCH_SAVES"), out var n) ? n : 10;

        var figures = await SaveBenchmark.RunAsync(node, "TEST DOUBLE (not a real ProxySQL)", saves, TestContext.Current.CancellationToken);

        TestContext.Current.SendDiagnosticMessage(figures.ToString());
        if (Environment.GetEnvironmentVariable("HAPORTAL_BENCH_OUT") is { Length: > 0 } path) await File.WriteAllTextAsync(path, figures + "\n", TestContext.Current.CancellationToken);
        Assert.Equal(saves, figures.Saves);
        Assert.InRange(figures.MedianMs, 0.01, figures.P95Ms);
        Assert.Equal(QueryRuleEvaluatorTests.SeedRules, await node.GetQueryRulesAsync(AdminLayer.Runtime, TestContext.Current.CancellationToken));
    }
}
