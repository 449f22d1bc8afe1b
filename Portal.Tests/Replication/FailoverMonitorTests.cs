using HaPortal.Core.Replication;
using Microsoft.Extensions.Logging.Abstractions;

namespace HaPortal.Tests.Replication;

public sealed class FailoverMonitorTests : IAsyncLifetime
{
    private ClusterSetup _s = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly FailoverMonitorOptions Options = new() { Enabled = true, FailuresBeforeAction = 3, AntiFlapWindow = TimeSpan.FromMinutes(10) };

    public async ValueTask InitializeAsync()
    {
        _s = await ClusterSetup.StartAsync();
        await _s.Nodes["db1"].ExecuteAsync("CREATE TABLE app.t (id BIGINT PRIMARY KEY); INSERT INTO app.t VALUES (1)", Ct);
        await _s.WaitCaughtUpAsync("db1", "db2", "db3");
    }

    public ValueTask DisposeAsync() => _s.DisposeAsync();

    /// <summary>The portal's view of the primary fails while everybody else still reaches it.</summary>
    private sealed class PortalBlip(IPrimaryProbe real) : IPrimaryProbe
    {
        public bool Cut { get; set; }
        public Task<NodeStatus> ProbeAsync(DbEndpoint primary, CancellationToken ct) =>
            Cut ? Task.FromResult(NodeStatus.Unreachable(primary, "simulated: no route from the portal to the primary")) : real.ProbeAsync(primary, ct);
    }

    private async Task<FailoverMonitor> MonitorAsync(IPrimaryProbe? probe = null, FailoverMonitorOptions? options = null) =>
        new(await _s.ClusterAsync(), probe ?? new ReplicationControlProbe(_s.Control), _s.Control, _s.Operations, _s.Db.Time,
            options ?? Options, ClusterSetup.Operator, NullLogger<FailoverMonitor>.Instance);

    /// <summary>Checks until the replicas' IO threads have noticed (a real server-side event) or a decision other than NoFailover comes.</summary>
    private async Task<MonitorDecision> CheckUntilDecidedAsync(FailoverMonitor monitor)
    {
        for (var i = 0; i < 200; i++)
        {
            var d = await monitor.CheckOnceAsync(Ct);
            _s.Db.Time.Advance(Options.CheckInterval);
            if (d is { Verdict: not (MonitorVerdict.Suspect or MonitorVerdict.NoFailover) } ||
                d is { Verdict: MonitorVerdict.NoFailover } && !d.Reasons.Any(r => r.StartsWith("replicas still see", StringComparison.Ordinal)))
                return d;
            await Task.Delay(20, Ct); // real time for the replicas' IO threads to see the broken connection
        }
        throw new TimeoutException("no decision");
    }

    [Fact]
    public async Task Monitor_PortalOnlyBlip_DoesNotFailOver_AndSaysWhy()
    {
        var blip = new PortalBlip(new ReplicationControlProbe(_s.Control)) { Cut = true };
        var monitor = await MonitorAsync(blip);

        for (var i = 0; i < 5; i++) { await monitor.CheckOnceAsync(Ct); _s.Db.Time.Advance(Options.CheckInterval); }
        blip.Cut = false;
        await monitor.CheckOnceAsync(Ct);

        Assert.Equal([MonitorVerdict.Suspect, MonitorVerdict.Suspect, MonitorVerdict.NoFailover, MonitorVerdict.NoFailover, MonitorVerdict.NoFailover, MonitorVerdict.Healthy],
            monitor.Decisions.Select(d => d.Verdict));
        Assert.Contains(monitor.Decisions[2].Reasons, r => r.StartsWith("replicas still see the primary: db2 (IO thread running), db3 (IO thread running)", StringComparison.Ordinal));
        Assert.Equal("db1", (await _s.ClusterAsync()).ExpectedPrimary);
        Assert.Equal(["db1"], (await _s.Operations.StatusAsync(await _s.ClusterAsync(), Ct)).Writers.Select(w => w.Name));
    }

    [Fact]
    public async Task Monitor_ActsOncePerAntiFlapWindow()
    {
        var monitor = await MonitorAsync();
        _s.Nodes["db1"].Kill();

        var first = await CheckUntilDecidedAsync(monitor);
        Assert.Equal(MonitorVerdict.FailedOver, first.Verdict);
        Assert.Contains(first.Reasons, r => r.StartsWith("confirmed by the replicas", StringComparison.Ordinal));
        var second = first.Failover!.NewPrimary!;
        var remaining = second == "db2" ? "db3" : "db2";
        await _s.WaitCaughtUpAsync(second, remaining);

        // The new primary dies too, well inside the window: the monitor refuses and says why.
        _s.Nodes[second].Kill();
        var refused = await CheckUntilDecidedAsync(monitor);
        Assert.Equal(MonitorVerdict.NoFailover, refused.Verdict);
        Assert.Contains(refused.Reasons, r => r.StartsWith("within the anti-flap window", StringComparison.Ordinal));
        Assert.Equal(second, monitor.Cluster.ExpectedPrimary);

        // Once the window has passed it acts again.
        _s.Db.Time.Advance(Options.AntiFlapWindow);
        var again = await CheckUntilDecidedAsync(monitor);
        Assert.True(again.Verdict == MonitorVerdict.FailedOver, string.Join(" | ", again.Reasons));
        Assert.Equal(remaining, again.Failover!.NewPrimary);
        Assert.Equal(2, monitor.Decisions.Count(d => d.Verdict == MonitorVerdict.FailedOver));
        Assert.Equal(remaining, (await _s.ClusterAsync()).ExpectedPrimary);
    }

    [Fact]
    public async Task Monitor_Disabled_ConfirmsTheFailureButOnlySaysSo()
    {
        var monitor = await MonitorAsync(options: Options with { Enabled = false });
        _s.Nodes["db1"].Kill();

        var decision = await CheckUntilDecidedAsync(monitor);

        Assert.Equal(MonitorVerdict.NoFailover, decision.Verdict);
        Assert.Contains(decision.Reasons, r => r.StartsWith("automatic failover is off for 'seed-stack'", StringComparison.Ordinal));
        Assert.Equal(ObservedRole.Replica, (await _s.Control.GetStatusAsync(_s.Nodes["db2"].Endpoint, Ct)).Role);
    }

    [Fact]
    public async Task Monitor_RunLoop_IsDrivenByTheTimeProvider()
    {
        var blip = new PortalBlip(new ReplicationControlProbe(_s.Control)) { Cut = true };
        var monitor = await MonitorAsync(blip);
        var decided = new SemaphoreSlim(0);
        monitor.Decided += _ => decided.Release();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = monitor.RunAsync(stop.Token);

        Assert.Empty(monitor.Decisions); // nothing before the clock moves
        for (var i = 1; i <= 2; i++)
        {
            _s.Db.Time.Advance(Options.CheckInterval);
            await decided.WaitAsync(Ct);
        }
        await stop.CancelAsync();
        await loop;

        Assert.Equal([MonitorVerdict.Suspect, MonitorVerdict.Suspect], monitor.Decisions.Select(d => d.Verdict));
    }
}
