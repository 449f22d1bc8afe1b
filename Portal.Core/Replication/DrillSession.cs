using HaPortal.Core.Persistence;
using HaPortal.Core.Security;

namespace HaPortal.Core.Replication;

/// <summary>
/// How to reach and disrupt one topology's database tier for drills (built by the command line or the resolver).
/// <paramref name="Writer"/>: the write load of a run (default: SQL as the application user to the node <paramref name="Routing"/>
/// names, see <see cref="SqlDrillWriter"/>). <paramref name="RestoreAfterLastRun"/>: bring the disrupted old primary back and
/// rejoin it after the last run too (a deployed stack, where the portal can start its container again).
/// </summary>
public sealed record DrillSetup(ReplicationOperations Operations, IReplicationControl Control, NoRouterSwitch? Routing,
    Func<DbEndpoint, string> AppConnectionString, string Schema, IPrimaryDisruption? Disruption, IPrimaryRestore? Restore,
    Func<ReplicationCluster, IDrillWriter>? Writer = null, bool RestoreAfterLastRun = false);

/// <summary>Brings a disrupted old primary back so the next run finds a whole cluster (SIGCONT, container unpause or start).</summary>
public interface IPrimaryRestore
{
    /// <summary>Null when the node runs again; otherwise why it cannot be brought back.</summary>
    Task<string?> RestoreAsync(ClusterNode node, DrillKind kind, CancellationToken ct);
}

/// <summary>A paused local process is resumed; a killed one cannot be restarted by the portal (it does not own its command line).</summary>
public sealed class LocalProcessRestore(IReadOnlyDictionary<string, string> pidFiles) : IPrimaryRestore
{
    public Task<string?> RestoreAsync(ClusterNode node, DrillKind kind, CancellationToken ct)
    {
        if (kind == DrillKind.Kill) return Task.FromResult<string?>($"{node.Name} was killed; a local process is restarted by whoever started it");
        if (!pidFiles.TryGetValue(node.Name, out var file) || !int.TryParse(File.ReadAllText(file).Trim(), out var pid))
            return Task.FromResult<string?>($"no pid for {node.Name}");
        return Task.FromResult(ProcessSignals.Send(pid, ProcessSignals.SigCont) ? null : $"{node.Name} (pid {pid}) is not running");
    }
}

/// <summary>
/// Runs N drills on a stored topology, one after the other: each from the topology's current revision, each kept by
/// <see cref="DrillStore"/> with that revision. Between runs the disrupted old primary is brought back and rejoins as
/// a replica, so the next run starts from a whole cluster; when it cannot be, the remaining runs are not started and
/// the reason is the last result.
/// </summary>
public sealed class DrillSession(TopologyStore topologies, DrillStore drills, TimeProvider time)
{
    public async Task<IReadOnlyList<(StoredDrill? Stored, DrillReport Report)>> RunAsync(
        string topology, Func<Task<ReplicationCluster?>> cluster, DrillSetup setup, DrillKind kind, int runs, Actor actor, DrillOptions? options, CancellationToken ct)
    {
        actor.EnsureCanChange("run a failover drill");
        var results = new List<(StoredDrill?, DrillReport)>();
        for (var i = 0; i < runs; i++)
        {
            var c = await cluster().ConfigureAwait(false);
            var stored = await topologies.GetAsync(topology, ct: ct).ConfigureAwait(false);
            if (c is null || stored is null) break;
            var writer = setup.Writer?.Invoke(c) ?? new SqlDrillWriter(
                () => (setup.Routing?.WriterOf(c.Topology) is { } w && c.Find(w.Name) is not null ? w : c.Get(c.ExpectedPrimary)).Endpoint,
                setup.AppConnectionString, setup.Schema);
            DrillReport report;
            try { report = await new FailoverDrill(setup.Operations, setup.Control, writer, setup.Disruption, time, options).RunAsync(c, kind, actor, ct).ConfigureAwait(false); }
            finally { (writer as IDisposable)?.Dispose(); }
            var kept = report.Timeline.Length == 0 && report.NewPrimary is null && report.Acknowledged == 0
                ? null // refused before anything happened: nothing to keep
                : await drills.SaveAsync(report, stored.Revision.Number, actor, ct).ConfigureAwait(false);
            results.Add((kept, report));
            if (report.NewPrimary is null) break;
            var last = i == runs - 1;
            if (last && !setup.RestoreAfterLastRun) break;
            if (kind != DrillKind.Switchover && !await BringBackAsync(c.Get(report.OldPrimary), kind, setup, topology, cluster, actor, results, last, ct).ConfigureAwait(false)) break;
        }
        return results;
    }

    private static async Task<bool> BringBackAsync(ClusterNode old, DrillKind kind, DrillSetup setup, string topology, Func<Task<ReplicationCluster?>> cluster,
        Actor actor, List<(StoredDrill?, DrillReport)> results, bool last, CancellationToken ct)
    {
        var why = setup.Restore is null ? "no way to bring the old primary back" : await setup.Restore.RestoreAsync(old, kind, ct).ConfigureAwait(false);
        var after = await cluster().ConfigureAwait(false);
        if (why is null && after is not null)
        {
            var rejoin = await setup.Operations.RejoinAsync(after, old.Name, actor, ct).ConfigureAwait(false);
            if (rejoin.Succeeded) return true;
            why = rejoin.Summary;
        }
        results.Add((null, new DrillReport(topology, kind, false, $"{(last ? "after the drill" : "remaining runs not started")}: {old.Name} cannot rejoin ({why})", old.Name, null, null, 0, 0, 0, 0, [], null)));
        return false;
    }
}

public static class FailoverDrills
{
    /// <summary>A drill detects the failure the way the topology's automatic failover would (its checks and interval).</summary>
    public static DrillOptions OptionsFor(Topology.AutoFailoverSpec auto) => new()
    {
        Detection = new FailoverMonitorOptions
        {
            Enabled = true, FailuresBeforeAction = auto.Checks, CheckInterval = TimeSpan.FromMilliseconds(auto.IntervalMs), AntiFlapWindow = TimeSpan.Zero,
        },
    };
}
