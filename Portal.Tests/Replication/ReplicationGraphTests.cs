using Bunit;
using HaPortal.Components.Pages.Replication;
using HaPortal.Core.Replication;
using HaPortal.Core.Topology;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace HaPortal.Tests.Replication;

public sealed class ReplicationGraphTests : IAsyncDisposable
{
    private readonly BunitContext _ctx = new();

    public ReplicationGraphTests()
    {
        _ctx.Services.AddMudServices();
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();

    private static readonly ReplicationCluster Cluster = new("stack", DatabaseFlavor.MariaDb, "db1",
    [
        new("db1", 0, new DbEndpoint("db1", "10.0.0.1", 3306)),
        new("db2", 0, new DbEndpoint("db2", "10.0.0.2", 3306)),
        new("db3", 0, new DbEndpoint("db3", "10.0.0.3", 3306)),
    ]);

    private static NodeStatus Replica(string name, string io, string sql, long? lag, string ioError = "") =>
        new(name, Cluster.Get(name).Endpoint, true, null)
        {
            ReadOnly = true, CurrentPos = "0-1-42",
            Replica = new ReplicaStatus("10.0.0.1", 3306, 1, io, sql, lag, ioError, "", "0-1-42", "Slave_Pos"),
        };

    private static ClusterView View(params NodeStatus[] replicas) =>
        new(Cluster, [new NodeStatus("db1", Cluster.Get("db1").Endpoint, true, null) { CurrentPos = "0-1-42" }, .. replicas], DateTimeOffset.UnixEpoch);

    [Fact]
    public void Graph_ShowsRolesThreadsLagAndErrors_AndDrift()
    {
        var view = View(Replica("db2", "Yes", "Yes", 0), Replica("db3", "Connecting", "Yes", null, "error reconnecting to master"));

        var cut = _ctx.Render<ReplicationGraph>(p => p.Add(x => x.View, view));

        Assert.Equal("Primary", cut.Find("[data-test=node-db1] [data-test=role]").TextContent.Trim());
        Assert.Equal("lag 0 s", cut.Find("[data-test=node-db2] [data-test=lag]").TextContent.Trim());
        Assert.Equal("IO Connecting", cut.Find("[data-test=node-db3] [data-test=io]").TextContent.Trim());
        Assert.Contains("error reconnecting to master", cut.Find("[data-test=node-db3] [data-test=io-error]").TextContent);
        Assert.Contains(cut.FindAll("[data-test=drift]"), d => d.TextContent.Contains("db3: IO thread Connecting"));
    }

    [Fact]
    public void Graph_HealthyCluster_ShowsNoDrift()
    {
        var cut = _ctx.Render<ReplicationGraph>(p => p.Add(x => x.View, View(Replica("db2", "Yes", "Yes", 0), Replica("db3", "Yes", "Yes", 1))));

        Assert.Empty(cut.FindAll("[data-test=drift]"));
    }

    [Fact]
    public void LagHistory_GapsWhereLagIsUnknown_AndKeepsTheLastSamples()
    {
        var history = new LagHistory();
        foreach (var lag in new long?[] { 0, 2, null, 4 }) history.Add(View(Replica("db2", "Yes", "Yes", lag)));
        for (var i = 0; i < LagHistory.Capacity; i++) history.Add(View(Replica("db3", "Yes", "Yes", 1)));

        Assert.Equal([0, 2, null, 4], history.Samples("db2"));
        Assert.Equal(LagHistory.Capacity, history.Samples("db3").Count);
        Assert.Equal(2, history.Polylines("db2", 600, 120).Count);
        var cut = _ctx.Render<LagChart>(p => p.Add(x => x.History, history));
        Assert.Equal(3, cut.FindAll("polyline").Count);
    }

    [Fact]
    public void MonitorDecisions_ShowsNewestFirst_WithEveryWhyNotReason()
    {
        var at = DateTimeOffset.UnixEpoch;
        MonitorDecision[] decisions =
        [
            new(at, "stack", "db1", MonitorVerdict.Suspect, ["db1 failed 1 of 3 consecutive checks"]),
            new(at.AddSeconds(3), "stack", "db1", MonitorVerdict.NoFailover, ["db1 failed 3 consecutive checks", "replicas still see the primary: db2 (IO thread running)"]),
        ];

        var cut = _ctx.Render<MonitorDecisions>(p => p.Add(x => x.Enabled, true).Add(x => x.Decisions, decisions)
            .Add(x => x.Options, new FailoverMonitorOptions { Enabled = true, FailuresBeforeAction = 3 }));

        Assert.StartsWith("On: 3 failed checks every 1000 ms", cut.Find("[data-test=auto-failover-state]").TextContent.Trim(), StringComparison.Ordinal);
        Assert.Equal(["NoFailover", "Suspect"], cut.FindAll("[data-test=verdict]").Select(v => v.TextContent.Trim()));
        Assert.Contains(cut.FindAll("[data-test=reason]"), r => r.TextContent == "replicas still see the primary: db2 (IO thread running)");
    }

    [Fact]
    public void MonitorDecisions_Off_SaysSo()
    {
        var cut = _ctx.Render<MonitorDecisions>(p => p.Add(x => x.Enabled, false));

        Assert.Contains("Off for this topology", cut.Find("[data-test=auto-failover-state]").TextContent, StringComparison.Ordinal);
        Assert.Equal("No decision yet.", cut.Find("[data-test=no-decisions]").TextContent);
    }

    [Fact]
    public void DrillChart_OneBarPerDrill_RedWhenAWriteWasLost()
    {
        StoredDrill Drill(long id, double? ms, int lost) => new(id, "stack", 3, DateTimeOffset.UnixEpoch, DrillKind.Kill, "olga", lost == 0, ms, 100, lost, 0, "db1", "db2", $"drill {id}", []);

        var cut = _ctx.Render<DrillChart>(p => p.Add(x => x.Drills, [Drill(1, 850, 0), Drill(2, 2400, 1)]));

        var bars = cut.FindAll("[data-test=drill-bar]");
        Assert.Equal(2, bars.Count);
        Assert.Equal("#1976d2", bars[0].QuerySelector("rect")!.GetAttribute("fill"));
        Assert.Equal("#d32f2f", bars[1].QuerySelector("rect")!.GetAttribute("fill"));
        Assert.Contains("0.85s", bars[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("lost 1", bars[1].TextContent, StringComparison.Ordinal);
    }
}
