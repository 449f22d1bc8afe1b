using HaPortal.Core.Replication;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Replication;

/// <summary>The drill on local mariadbd processes (semi-sync): every acknowledged write survives, the timeline is complete.</summary>
public sealed class FailoverDrillTests : IAsyncLifetime
{
    private ClusterSetup _s = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _s = await ClusterSetup.StartAsync(semiSync: true, time: TimeProvider.System);

    public ValueTask DisposeAsync() => _s.DisposeAsync();

    private FailoverDrill Drill(ReplicationCluster cluster) => new(_s.Operations, _s.Control,
        new SqlDrillWriter(() => (_s.Routing.WriterOf(cluster.Topology) ?? cluster.Get(cluster.ExpectedPrimary)).Endpoint,
            e => _s.Nodes[e.Name].ConnectionString(MariaDbCluster.AppUser, MariaDbCluster.AppPassword), MariaDbCluster.AppSchema),
        new LocalProcessDisruption(_s.Nodes.Nodes.ToDictionary(n => n.Name, n => n.PidFile)), TimeProvider.System,
        new DrillOptions { WarmUp = TimeSpan.FromMilliseconds(500), AfterRecovery = TimeSpan.FromMilliseconds(300), MaxDuration = TimeSpan.FromSeconds(30) });

    [Fact]
    public async Task KillDrill_FailsOver_LosesNoAcknowledgedWrite_AndReportsEveryStep()
    {
        var cluster = await _s.ClusterAsync();

        var report = await Drill(cluster).RunAsync(cluster, DrillKind.Kill, ClusterSetup.Operator, Ct);

        Assert.True(report.Succeeded, report.Summary + " | " + string.Join(" | ", report.Timeline));
        Assert.Equal("db1", report.OldPrimary);
        Assert.Contains(report.NewPrimary, new[] { "db2", "db3" });
        Assert.True(report.Acknowledged > 10, report.Summary);
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicated);
        Assert.Equal(["primary killed", "detected", "fenced", "promoted", "routing switched", "first write accepted"],
            report.Timeline.Select(e => e.Step).Where(s => s != "old primary read-only"));
        Assert.All(report.Timeline.Skip(1), e => Assert.True(e.AtMs >= 0, $"{e.Step} at {e.AtMs} ms"));
        Assert.Equal(report.NewPrimary, (await _s.ClusterAsync()).ExpectedPrimary);
    }

    [Fact]
    public async Task SwitchoverDrill_MovesThePrimary_WithoutLosingWrites()
    {
        var cluster = await _s.ClusterAsync();

        var report = await Drill(cluster).RunAsync(cluster, DrillKind.Switchover, ClusterSetup.Operator, Ct);

        Assert.True(report.Succeeded, report.Summary);
        Assert.Equal(0, report.Lost);
        Assert.Contains(report.Timeline, e => e.Step == "promoted");
        Assert.NotNull(report.UnavailableMs);
    }

    [Fact]
    public async Task Drill_Viewer_IsRefused()
    {
        var cluster = await _s.ClusterAsync();
        var viewer = new HaPortal.Core.Security.Actor("vera", new HashSet<string> { HaPortal.Core.Security.Roles.Viewer });

        await Assert.ThrowsAsync<HaPortal.Core.Security.ForbiddenException>(() => Drill(cluster).RunAsync(cluster, DrillKind.Kill, viewer, Ct));
        Assert.Equal(ObservedRole.Primary, (await _s.Control.GetStatusAsync(_s.Nodes["db1"].Endpoint, Ct)).Role);
    }
}
