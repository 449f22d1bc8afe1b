using HaPortal.Core.Audit;
using HaPortal.Core.Replication;
using Microsoft.Extensions.Logging.Abstractions;

namespace HaPortal.Tests.Replication;

/// <summary>The hosted monitor: follows the per-topology flag, fails over a dead primary once, keeps every decision.</summary>
public sealed class FailoverMonitorServiceTests : IAsyncLifetime
{
    private ClusterSetup _s = null!;
    private readonly MonitorDecisionLog _log = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _s = await ClusterSetup.StartAsync();
        await _s.Nodes["db1"].ExecuteAsync("CREATE TABLE app.t (id BIGINT PRIMARY KEY); INSERT INTO app.t VALUES (1)", Ct);
        await _s.WaitCaughtUpAsync("db1", "db2", "db3");
    }

    public ValueTask DisposeAsync() => _s.DisposeAsync();

    /// <summary>Resolves the test cluster the way the settings resolver would, or reports a problem.</summary>
    private sealed class Resolver(ClusterSetup s) : IReplicationResolver
    {
        public bool Broken { get; set; }
        public async Task<ReplicationTarget> ResolveAsync(string topology, CancellationToken ct) => Broken
            ? new(null, null, true, [("Replication:Endpoints:seed-stack", "no endpoint for db1")])
            : new(await s.ClusterAsync(), s.Operations, true, [], s.Control);
    }

    private FailoverMonitorService Service(Resolver resolver) =>
        new(_s.Db.Topologies, resolver, _log, _s.Db.Time, NullLoggerFactory.Instance);

    private async Task SetFlagAsync(bool enabled, int intervalMs = 1000)
    {
        var stored = await _s.Db.Topologies.GetAsync(ClusterSetup.Topology, ct: Ct);
        var spec = stored!.Spec with { Database = stored.Spec.Database with { AutoFailover = new() { Enabled = enabled, Checks = 2, IntervalMs = intervalMs } } };
        Assert.True((await _s.Db.Topologies.SaveAsync(spec, ClusterSetup.Operator, "flag", Ct)).Saved);
    }

    [Fact]
    public async Task Sweep_WatchesOnlyFlaggedTopologies_AndStopsWhenTheFlagGoesOff()
    {
        var service = Service(new Resolver(_s));

        await service.SweepAsync(Ct);
        Assert.Empty(service.Watched); // off by default

        await SetFlagAsync(true);
        await service.SweepAsync(Ct);
        Assert.Equal([ClusterSetup.Topology], service.Watched);

        await SetFlagAsync(false);
        await service.SweepAsync(Ct);
        Assert.Empty(service.Watched);
    }

    [Fact]
    public async Task Sweep_UnresolvableTopology_SaysWhyOnce()
    {
        var service = Service(new Resolver(_s) { Broken = true });
        await SetFlagAsync(true);

        await service.SweepAsync(Ct);
        await service.SweepAsync(Ct);

        var d = Assert.Single(_log.Of(ClusterSetup.Topology));
        Assert.Equal(MonitorVerdict.NoFailover, d.Verdict);
        Assert.Contains("cannot be watched: Replication:Endpoints:seed-stack: no endpoint for db1", d.Reasons[0], StringComparison.Ordinal);
        Assert.Empty(service.Watched);
    }

    [Fact]
    public async Task Service_PrimaryKilled_FailsOverOnce_RecordsWhyNotBefore_AndAudits()
    {
        await SetFlagAsync(true);
        var service = Service(new Resolver(_s));
        await service.SweepAsync(Ct);
        var decided = new SemaphoreSlim(0);
        _log.Added += _ => decided.Release();

        _s.Nodes["db1"].Kill();
        for (var i = 0; i < 300 && !_log.Of(ClusterSetup.Topology).Any(d => d.Verdict == MonitorVerdict.FailedOver); i++)
        {
            _s.Db.Time.Advance(TimeSpan.FromMilliseconds(1000));
            await decided.WaitAsync(TimeSpan.FromMilliseconds(200), Ct);
        }

        var decisions = _log.Of(ClusterSetup.Topology);
        Assert.Equal(MonitorVerdict.Suspect, decisions[0].Verdict);
        var failedOver = Assert.Single(decisions, d => d.Verdict == MonitorVerdict.FailedOver);
        Assert.NotEqual("db1", (await _s.ClusterAsync()).ExpectedPrimary);
        Assert.Equal(failedOver.Failover!.NewPrimary, (await _s.ClusterAsync()).ExpectedPrimary);
        var audit = await _s.Db.Audit.QueryAsync(new AuditQuery(Action: "replication.failover"), Ct);
        Assert.Contains(audit, a => a.User == FailoverMonitorService.MonitorActor.Name);

        // The new revision makes the service rebuild the monitor on the new primary, anti-flap window carried over.
        await service.SweepAsync(Ct);
        Assert.Equal([ClusterSetup.Topology], service.Watched);
        await service.StopAsync(Ct);
    }
}
