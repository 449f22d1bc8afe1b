using System.Diagnostics;

namespace HaPortal.Core.ProxySql;

public sealed record BenchmarkFigures(string Target, int Saves, double MedianMs, double P95Ms, double MaxMs)
{
    public override string ToString() =>
        $"{Target}: Save → rule present in runtime_mysql_query_rules, {Saves} saves: median {MedianMs:F1} ms, p95 {P95Ms:F1} ms, max {MaxMs:F1} ms";
}

/// <summary>
/// The figure the issue asks for: milliseconds from Save (replace the rules: write, LOAD, SAVE, confirm) until a
/// fresh admin connection sees the new rule in runtime_mysql_query_rules.
/// </summary>
public static class SaveBenchmark
{
    public static async Task<BenchmarkFigures> RunAsync(IProxySqlAdmin node, string targetLabel, int saves, CancellationToken ct = default)
    {
        var baseRules = (await node.GetQueryRulesAsync(AdminLayer.Memory, ct).ConfigureAwait(false)).Where(r => r.RuleId < 90000).ToList();
        var samples = new List<double>(saves);
        try
        {
            for (var i = 0; i < saves; i++)
            {
                var probe = new ProxySqlQueryRule { RuleId = 90000 + i, MatchDigest = $"^SELECT /\\* bench {i} \\*/", DestinationHostgroup = null, Comment = $"benchmark {i}" };
                var clock = Stopwatch.StartNew();
                var result = await node.ReplaceQueryRulesAsync([.. baseRules, probe], ct).ConfigureAwait(false);
                if (!result.Succeeded) throw new InvalidOperationException($"Benchmark save {i} failed: {result}");
                while (!(await node.GetQueryRulesAsync(AdminLayer.Runtime, ct).ConfigureAwait(false)).Any(r => r.RuleId == probe.RuleId))
                {
                    if (clock.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException($"Rule {probe.RuleId} not in runtime after 10 s.");
                }
                samples.Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        finally
        {
            await node.ReplaceQueryRulesAsync(baseRules, CancellationToken.None).ConfigureAwait(false);
        }
        samples.Sort();
        return new BenchmarkFigures(targetLabel, saves, Percentile(samples, 0.5), Percentile(samples, 0.95), samples[^1]);
    }

    private static double Percentile(List<double> sorted, double p)
    {
        var rank = p * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}
