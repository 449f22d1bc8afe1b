using System.Diagnostics;
using System.Globalization;
using HaPortal.Core.Replication;
using Microsoft.Extensions.Logging.Abstractions;

namespace HaPortal.Tests.Replication;

/// <summary>
/// Write unavailability of a switchover and of a failover after SIGKILL of the primary, on three local mariadbd
/// processes with semi-sync (loopback, not the Docker drill). Each run: a bounded write load through the app user,
/// every acknowledged insert recorded; the figure is the longest gap between two acknowledged writes, and every
/// acknowledged write must be on the new primary afterwards. One run each by default (a test like the others);
/// HAPORTAL_REPL_BENCH_RUNS=5 for the figures, printed and written to $TMPDIR/haportal-replication-bench.txt.
/// </summary>
public sealed class WriteUnavailabilityBenchmark
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static int Runs => int.TryParse(Environment.GetEnvironmentVariable("HAPORTAL_REPL_BENCH_RUNS"), out var n) && n > 0 ? n : 1;

    private sealed record Run(TimeSpan Unavailable, int Acked, int Lost, string Detail);

    [Fact]
    public async Task Switchover_NoAcknowledgedWriteLost_MedianUnavailability()
    {
        var runs = new List<Run>();
        for (var i = 0; i < Runs; i++)
        {
            await using var s = await ClusterSetup.StartAsync(semiSync: true, time: TimeProvider.System);
            await WriteLoad.CreateTableAsync(s.Nodes["db1"], ct: Ct);
            var writer = s.Nodes["db1"];
            s.Routing.WriterMoved += (_, n) => writer = s.Nodes[n.Name];
            var load = new WriteLoad(() => writer);
            using var stop = new CancellationTokenSource();
            var running = Task.Run(() => load.RunAsync(stop.Token), Ct);
            await Task.Delay(500, Ct);
            var result = await s.Operations.SwitchoverAsync(await s.ClusterAsync(), "db2", ClusterSetup.Operator, Ct);
            await Task.Delay(500, Ct);
            await stop.CancelAsync();
            await running;
            Assert.True(result.Succeeded, result.Summary);
            runs.Add(await MeasureAsync(s, load, "db2", Steps(result)));
        }
        Report("switchover", runs);
    }

    [Fact]
    public async Task FailoverAfterKill_NoAcknowledgedWriteLost_MedianUnavailability()
    {
        var runs = new List<Run>();
        for (var i = 0; i < Runs; i++)
        {
            await using var s = await ClusterSetup.StartAsync(semiSync: true, time: TimeProvider.System);
            await WriteLoad.CreateTableAsync(s.Nodes["db1"], ct: Ct);
            var writer = s.Nodes["db1"];
            s.Routing.WriterMoved += (_, n) => writer = s.Nodes[n.Name];
            var options = new FailoverMonitorOptions { Enabled = true, CheckInterval = TimeSpan.FromMilliseconds(200), FailuresBeforeAction = 3 };
            var monitor = new FailoverMonitor(await s.ClusterAsync(), new ReplicationControlProbe(s.Control), s.Control, s.Operations,
                TimeProvider.System, options, ClusterSetup.Operator, NullLogger<FailoverMonitor>.Instance);
            var failedOver = new TaskCompletionSource<MonitorDecision>();
            monitor.Decided += d => { if (d.Verdict == MonitorVerdict.FailedOver) failedOver.TrySetResult(d); };
            var load = new WriteLoad(() => writer);
            using var stop = new CancellationTokenSource();
            var running = Task.Run(() => load.RunAsync(stop.Token), Ct);
            var monitoring = Task.Run(() => monitor.RunAsync(stop.Token), Ct);
            await Task.Delay(500, Ct);
            var killedAt = Stopwatch.GetTimestamp();
            s.Nodes["db1"].Kill();
            var decision = await failedOver.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            var decidedAfter = Stopwatch.GetElapsedTime(killedAt);
            await Task.Delay(500, Ct);
            await stop.CancelAsync();
            await Task.WhenAll(running, monitoring);
            runs.Add(await MeasureAsync(s, load, decision.Failover!.NewPrimary!,
                $"failover done {decidedAfter.TotalSeconds:0.000}s after the kill (checks every 200 ms, 3 failures); {Steps(decision.Failover)}"));
        }
        Report("failover after SIGKILL", runs);
    }

    private static string Steps(ReplicationOperationResult r) =>
        string.Join(", ", r.Timeline.Select(t => $"{t.Step} +{(t.At - r.Timeline[0].At).TotalMilliseconds:0}ms"));

    private static async Task<Run> MeasureAsync(ClusterSetup s, WriteLoad load, string newPrimary, string detail)
    {
        var rows = (await s.RowsAsync(newPrimary, "app.w")).ToHashSet();
        var acked = load.Acked.Select(a => a.Id).ToList();
        var lost = acked.Count(id => !rows.Contains(id));
        Assert.True(acked.Count > 20, $"only {acked.Count} writes acknowledged");
        Assert.Equal(0, lost);
        return new(load.LongestGap(), acked.Count, lost, detail);
    }

    private static void Report(string what, List<Run> runs)
    {
        var sorted = runs.Select(r => r.Unavailable.TotalSeconds).Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"{what} (local mariadbd processes, semi-sync, loopback; not the Docker drill): {runs.Count} runs, median write unavailability {median:0.000} s, acknowledged writes lost {runs.Sum(r => r.Lost)}"),
        };
        lines.AddRange(runs.Select((r, i) => string.Create(CultureInfo.InvariantCulture, $"  run {i + 1}: {r.Unavailable.TotalSeconds:0.000} s unavailable, {r.Acked} acknowledged, {r.Lost} lost; {r.Detail}")));
        foreach (var line in lines) TestContext.Current.TestOutputHelper?.WriteLine(line);
        File.AppendAllLines(Path.Combine(Path.GetTempPath(), "haportal-replication-bench.txt"), lines);
    }
}
