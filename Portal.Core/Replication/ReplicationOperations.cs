using System.Collections.Immutable;
using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Replication;

/// <summary>A pre-check of a switchover, shown to the operator as pass/fail with its reason.</summary>
public sealed record PreCheck(string Name, bool Passed, string Reason);

/// <summary>One timed step of a switchover, failover or rejoin.</summary>
public sealed record TimelineStep(DateTimeOffset At, string Step, bool Ok, string Detail);

/// <summary>What a switchover, failover or rejoin did, or why it did not.</summary>
public sealed record ReplicationOperationResult(
    string Kind, string Topology, bool Succeeded, string Summary,
    string? OldPrimary, string? NewPrimary,
    ImmutableArray<PreCheck> Checks, ImmutableArray<TimelineStep> Timeline,
    ImmutableArray<CandidateAssessment> Candidates, ImmutableArray<string> NeedRebuild,
    bool RolledBack, int? TopologyRevision);

/// <summary>Tunables of switchover and failover; defaults suit a LAN.</summary>
public sealed record ReplicationOptions
{
    /// <summary>A switchover candidate further behind than this (Seconds_Behind_Master) is refused.</summary>
    public TimeSpan MaxLag { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a switchover waits for the candidate to apply the old primary's last transaction.</summary>
    public TimeSpan CatchUpTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a failover lets each replica apply what it already received before comparing positions.</summary>
    public TimeSpan ApplyRelayLogTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

internal sealed class Timeline(TimeProvider time)
{
    private readonly ImmutableArray<TimelineStep>.Builder _steps = ImmutableArray.CreateBuilder<TimelineStep>();
    public TimelineStep Add(string step, bool ok, string detail)
    {
        var s = new TimelineStep(time.GetUtcNow(), step, ok, detail);
        _steps.Add(s);
        return s;
    }
    public ImmutableArray<TimelineStep> Steps => _steps.ToImmutable();
}

/// <summary>
/// Switchover, failover and rejoin of a database tier. A singleton: it holds no state between calls; the stored
/// topology and the audit log are optional (a cluster given only by endpoints on the command line has neither).
/// Every change checks the actor's role first.
/// </summary>
public sealed class ReplicationOperations(
    IReplicationControl control, IFencing fencing, IRoutingSwitch routing, TimeProvider time,
    ReplicationOptions? options = null, TopologyStore? store = null, AuditLog? audit = null)
{
    private readonly ReplicationOptions _options = options ?? new();
    private readonly ReplicationStatus _status = new(control, time);

    public Task<ClusterView> StatusAsync(ReplicationCluster cluster, CancellationToken ct) => _status.ReadAsync(cluster, ct);

    /// <summary>The pre-checks of a switchover to <paramref name="candidate"/>, each with its reason, without changing anything.</summary>
    public async Task<(ClusterView View, ImmutableArray<PreCheck> Checks)> CheckSwitchoverAsync(ReplicationCluster cluster, string candidate, CancellationToken ct)
    {
        var view = await _status.ReadAsync(cluster, ct).ConfigureAwait(false);
        return (view, [.. SwitchoverChecks(view, candidate)]);
    }

    private IEnumerable<PreCheck> SwitchoverChecks(ClusterView view, string candidate)
    {
        var cluster = view.Cluster;
        var primaryName = cluster.ExpectedPrimary;
        if (cluster.Find(candidate) is null || candidate == primaryName)
        {
            yield return new("candidate", false, $"'{candidate}' is not a replica of '{cluster.Topology}' (replicas: {string.Join(", ", cluster.Nodes.Where(n => n.Name != primaryName).Select(n => n.Name))}).");
            yield break;
        }
        var primary = view[primaryName];
        yield return primary.Role == ObservedRole.Primary
            ? new("primary reachable and writable", true, $"{primaryName} answers, read_only=OFF, replicates from nobody")
            : new("primary reachable and writable", false, primary.Reachable
                ? $"{primaryName} is {(primary.ReadOnly ? "read-only" : "")}{(primary.Replica is not null ? " replicating" : "")}; the stored topology does not match the servers"
                : $"{primaryName} is unreachable ({primary.Error}); use a failover");

        var c = view[candidate];
        var replicating = c.Reachable && c.Replica is { Replicating: true } && view.SourceOf(c) == primaryName;
        yield return new("candidate reachable and replicating", replicating, !c.Reachable ? $"{candidate} is unreachable: {c.Error}"
            : c.Replica is not { } r ? $"{candidate} has no replication configured"
            : view.SourceOf(c) != primaryName ? $"{candidate} replicates from {view.SourceOf(c) ?? r.SourceHost + ":" + r.SourcePort}, not from {primaryName}"
            : !r.Replicating ? $"{candidate}: IO thread {r.IoRunning}, SQL thread {r.SqlRunning} {r.LastIoError} {r.LastSqlError}".TrimEnd()
            : $"{candidate} replicates from {primaryName}, both threads running");

        var lag = c.Replica?.SecondsBehind;
        yield return new("lag under threshold", lag is { } l && l <= _options.MaxLag.TotalSeconds,
            lag is null ? $"{candidate} reports no lag (replication not running)" : $"{candidate} is {lag} s behind (threshold {_options.MaxLag.TotalSeconds} s)");

        if (primary.Reachable && c.Reachable)
        {
            // The primary's own GTIDs are never errant: under write load it may have moved on since it was read.
            var errant = Errant(c, primary);
            yield return new("no errant transactions", errant.Count == 0, errant.Count == 0
                ? $"every transaction of {candidate} exists on {primaryName}"
                : $"errant transactions: {candidate} has {string.Join(",", errant)} which {primaryName} does not");
        }
        else yield return new("no errant transactions", false, "cannot compare GTIDs: primary or candidate unreachable");

        var unable = new List<string>();
        foreach (var other in view.Nodes.Where(n => n.Name != primaryName && n.Name != candidate))
        {
            if (!other.Reachable) { unable.Add($"{other.Name} is unreachable"); continue; }
            if (primary.Reachable)
            {
                var errant = Errant(other, primary);
                if (errant.Count > 0) unable.Add($"{other.Name} has errant transactions {string.Join(",", errant)}");
            }
            if (other.Replica is { LastSqlError.Length: > 0 } or) unable.Add($"{other.Name}: SQL thread error {or.LastSqlError}");
        }
        yield return new("every replica able to follow", unable.Count == 0,
            unable.Count == 0 ? "every other replica can replicate from the new primary" : string.Join("; ", unable));
    }

    /// <summary>
    /// Planned switchover to <paramref name="candidate"/>. Refused (nothing changed) when any pre-check fails. Any
    /// failure before the candidate is promoted puts everything back as it was.
    /// </summary>
    public async Task<ReplicationOperationResult> SwitchoverAsync(ReplicationCluster cluster, string candidate, Actor actor, CancellationToken ct)
    {
        actor.EnsureCanChange($"switch over the primary of '{cluster.Topology}'");
        var timeline = new Timeline(time);
        if (NotSupported(cluster, "switchover", timeline) is { } unsupported) return unsupported;
        var (view, checks) = await CheckSwitchoverAsync(cluster, candidate, ct).ConfigureAwait(false);
        var oldName = cluster.ExpectedPrimary;
        timeline.Add("pre-checks", checks.All(c => c.Passed), string.Join("; ", checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Reason}")));
        if (!checks.All(c => c.Passed))
            return await FinishAsync(Refused("switchover", cluster, $"Switchover to {candidate} refused: {string.Join("; ", checks.Where(c => !c.Passed).Select(c => c.Reason))}",
                oldName, candidate, checks, timeline), actor, ct).ConfigureAwait(false);

        var old = cluster.Get(oldName);
        var cand = cluster.Get(candidate);
        var promoted = false;
        try
        {
            await control.SetReadOnlyAsync(old.Endpoint, true, ct).ConfigureAwait(false);
            timeline.Add("old primary read-only", true, $"read_only=ON on {oldName}");
            var killed = await control.KillClientConnectionsAsync(old.Endpoint, ct).ConfigureAwait(false);
            timeline.Add("client connections killed", true, $"{killed} on {oldName}");
            var target = (await control.GetStatusAsync(old.Endpoint, ct).ConfigureAwait(false)).BinlogPos;
            if (!await control.WaitForPositionAsync(cand.Endpoint, target, _options.CatchUpTimeout, ct).ConfigureAwait(false))
                throw new SwitchoverStepFailed($"{candidate} did not apply {oldName}'s last transaction {target} within {_options.CatchUpTimeout.TotalSeconds} s");
            timeline.Add("candidate caught up", true, $"{candidate} applied {target}");
            await control.PromoteAsync(cand.Endpoint, ct).ConfigureAwait(false);
            promoted = true;
            timeline.Add("promoted", true, $"{candidate}: replication reset, read_only=OFF");
        }
        catch (Exception e) when (e is SwitchoverStepFailed or ReplicationCommandException && !promoted)
        {
            timeline.Add("failed", false, e.Message);
            var restored = await RollBackAsync(old, cand, timeline, ct).ConfigureAwait(false);
            var summary = $"Switchover to {candidate} failed before promotion and was rolled back{(restored ? "" : " (partly: see the timeline)")}: {e.Message}";
            return await FinishAsync(new("switchover", cluster.Topology, false, summary, oldName, candidate, checks, timeline.Steps, [], [], true, null), actor, ct).ConfigureAwait(false);
        }

        var needRebuild = await RepointAsync(cluster, cand, cluster.Nodes.Where(n => n.Name != candidate), timeline, ct).ConfigureAwait(false);
        return await AfterPromotionAsync("switchover", cluster, old, cand, checks, [], needRebuild, timeline, actor, ct).ConfigureAwait(false);
    }

    private async Task<bool> RollBackAsync(ClusterNode old, ClusterNode candidate, Timeline timeline, CancellationToken ct)
    {
        var ok = true;
        try
        {
            await control.SetReadOnlyAsync(old.Endpoint, false, ct).ConfigureAwait(false);
            timeline.Add("rollback: old primary writable", true, $"read_only=OFF on {old.Name}");
        }
        catch (ReplicationCommandException e) { ok = false; timeline.Add("rollback: old primary writable", false, e.Message); }
        try
        {
            await control.StartReplicationAsync(candidate.Endpoint, ct).ConfigureAwait(false);
            timeline.Add("rollback: candidate replicating", true, $"{candidate.Name} replicates from {old.Name}");
        }
        catch (ReplicationCommandException e) { ok = false; timeline.Add("rollback: candidate replicating", false, e.Message); }
        return ok;
    }

    /// <summary>
    /// Failover when the primary is unreachable: fence it, let the replicas apply what they received, promote the most
    /// advanced eligible replica, repoint the others, move routing, store the topology. Refused (with the reasons) when
    /// the primary still accepts writes, when fencing is not confirmed, or when no replica is eligible.
    /// </summary>
    public async Task<ReplicationOperationResult> FailoverAsync(ReplicationCluster cluster, Actor actor, CancellationToken ct, GtidList? lastKnownPrimaryState = null)
    {
        actor.EnsureCanChange($"fail over the primary of '{cluster.Topology}'");
        var timeline = new Timeline(time);
        if (NotSupported(cluster, "failover", timeline) is { } unsupported) return unsupported;
        var oldName = cluster.ExpectedPrimary;
        var old = cluster.Get(oldName);
        var oldStatus = await control.GetStatusAsync(old.Endpoint, ct).ConfigureAwait(false);
        if (oldStatus.Role == ObservedRole.Primary)
            return await FinishAsync(Refused("failover", cluster, $"Failover refused: {oldName} is reachable and accepts writes; use a switchover.", oldName, null, [], timeline), actor, ct).ConfigureAwait(false);
        timeline.Add("primary lost", true, oldStatus.Reachable ? $"{oldName} answers but is not a writable primary" : $"{oldName}: {oldStatus.Error}");

        var fence = await fencing.FenceAsync(old, ct).ConfigureAwait(false);
        timeline.Add("fenced", fence.Confirmed, $"{fence.Method}: {fence.Detail}");
        if (!fence.Confirmed)
            return await FinishAsync(Refused("failover", cluster, $"Failover refused: fencing of {oldName} not confirmed ({fence.Detail}); promoting now could leave two writers.", oldName, null, [], timeline), actor, ct).ConfigureAwait(false);

        var replicas = cluster.Nodes.Where(n => n.Name != oldName).ToList();
        var before = await Task.WhenAll(replicas.Select(n => control.GetStatusAsync(n.Endpoint, ct))).ConfigureAwait(false);
        var applied = await Task.WhenAll(before.Where(s => s.Reachable && s.Replica is { ReceivedPos.Length: > 0 })
            .Select(async s => (s.Name, Done: await TryWaitAsync(s.Endpoint, s.Replica!.ReceivedPos, ct).ConfigureAwait(false)))).ConfigureAwait(false);
        timeline.Add("relay logs applied", applied.All(a => a.Done),
            string.Join("; ", applied.Select(a => a.Done ? $"{a.Name} applied all it received" : $"{a.Name} still applying after {_options.ApplyRelayLogTimeout.TotalSeconds} s")));
        var after = await Task.WhenAll(replicas.Select(n => control.GetStatusAsync(n.Endpoint, ct))).ConfigureAwait(false);

        var primaryServerId = before.Select(s => s.Replica?.SourceServerId ?? 0).FirstOrDefault(id => id != 0);
        if (primaryServerId == 0) primaryServerId = oldStatus.ServerId;
        var choice = CandidateChooser.Choose(after, cluster.Nodes.ToDictionary(n => n.Name, n => n.Priority), primaryServerId, lastKnownPrimaryState ?? GtidList.Empty);
        var lagging = applied.Where(a => !a.Done).Select(a => a.Name).ToHashSet();
        if (choice.Chosen is { } chosenName && lagging.Contains(chosenName))
            choice = choice with
            {
                Chosen = null,
                Candidates = [.. choice.Candidates.Select(c => c.Name == chosenName
                    ? c with { Eligible = false, Reasons = [$"lag too high: still applying its relay log after {_options.ApplyRelayLogTimeout.TotalSeconds} s"] } : c)],
            };
        timeline.Add("candidate chosen", choice.Chosen is not null, choice.Chosen is { } w ? $"{w} ({string.Join("; ", choice.WhyNot)})" : string.Join("; ", choice.WhyNot));
        if (choice.Chosen is null)
            return await FinishAsync(Refused("failover", cluster, $"Failover refused: no eligible replica. {string.Join("; ", choice.Candidates.SelectMany(c => c.Reasons.Select(r => $"{c.Name}: {r}")))}",
                oldName, null, [], timeline) with { Candidates = choice.Candidates }, actor, ct).ConfigureAwait(false);

        var cand = cluster.Get(choice.Chosen);
        try
        {
            await control.PromoteAsync(cand.Endpoint, ct).ConfigureAwait(false);
            timeline.Add("promoted", true, $"{cand.Name}: replication reset, read_only=OFF");
        }
        catch (ReplicationCommandException e)
        {
            timeline.Add("promoted", false, e.Message);
            return await FinishAsync(new("failover", cluster.Topology, false, $"Failover failed: promoting {cand.Name}: {e.Message}", oldName, cand.Name, [], timeline.Steps, choice.Candidates, [], false, null), actor, ct).ConfigureAwait(false);
        }
        var followers = replicas.Where(n => n.Name != cand.Name && after.Single(s => s.Name == n.Name).Reachable).ToList();
        var needRebuild = await RepointAsync(cluster, cand, followers, timeline, ct, GtidList.Parse((await control.GetStatusAsync(cand.Endpoint, ct).ConfigureAwait(false)).BinlogState),
            after.ToDictionary(s => s.Name)).ConfigureAwait(false);
        needRebuild = [.. needRebuild, .. replicas.Where(n => n.Name != cand.Name && !after.Single(s => s.Name == n.Name).Reachable).Select(n => $"{n.Name}: unreachable during failover; rejoin it when it is back")];
        return await AfterPromotionAsync("failover", cluster, old, cand, [], choice.Candidates, needRebuild, timeline, actor, ct).ConfigureAwait(false);
    }

    private async Task<bool> TryWaitAsync(DbEndpoint node, string position, CancellationToken ct)
    {
        try { return await control.WaitForPositionAsync(node, position, _options.ApplyRelayLogTimeout, ct).ConfigureAwait(false); }
        catch (ReplicationCommandException) { return false; }
    }

    /// <summary>
    /// Brings a node back after a failover as a read-only replica of the current primary if its GTIDs allow (nothing
    /// the primary lacks); otherwise keeps it out (read-only, not replicating) and reports that it needs a rebuild.
    /// </summary>
    public async Task<ReplicationOperationResult> RejoinAsync(ReplicationCluster cluster, string node, Actor actor, CancellationToken ct)
    {
        actor.EnsureCanChange($"rejoin '{node}' to '{cluster.Topology}'");
        var timeline = new Timeline(time);
        if (NotSupported(cluster, "rejoin", timeline) is { } unsupported) return unsupported;
        var n = cluster.Get(node);
        var primary = cluster.Get(cluster.ExpectedPrimary);
        if (node == primary.Name)
            return Refused("rejoin", cluster, $"{node} is the primary of '{cluster.Topology}'; nothing to rejoin.", primary.Name, null, [], timeline);
        var status = await control.GetStatusAsync(n.Endpoint, ct).ConfigureAwait(false);
        if (!status.Reachable)
            return await FinishAsync(Refused("rejoin", cluster, $"{node} is unreachable: {status.Error}", primary.Name, null, [], timeline), actor, ct).ConfigureAwait(false);
        // First of all: a returning old primary may come back writable. It must not take a write meanwhile.
        await control.SetReadOnlyAsync(n.Endpoint, true, ct).ConfigureAwait(false);
        timeline.Add("read-only", true, $"read_only=ON on {node}");
        var p = await control.GetStatusAsync(primary.Endpoint, ct).ConfigureAwait(false);
        if (p.Role != ObservedRole.Primary)
            return await FinishAsync(Refused("rejoin", cluster, $"{node} kept out: the primary {primary.Name} is not a reachable writable primary ({p.Error ?? "read-only or replicating"}).", primary.Name, null, [], timeline), actor, ct).ConfigureAwait(false);
        var errant = Errant(status, p);
        if (errant.Count > 0)
        {
            var reason = $"{node} kept out and needs a rebuild: it has transactions the primary {primary.Name} does not ({string.Join(",", errant)}); replicating would diverge.";
            timeline.Add("kept out", false, reason);
            await control.StopReplicationAsync(n.Endpoint, ct).ConfigureAwait(false);
            return await FinishAsync(new("rejoin", cluster.Topology, false, reason, primary.Name, null, [], timeline.Steps, [], [$"{node}: {string.Join(",", errant)} not on {primary.Name}"], false, null), actor, ct).ConfigureAwait(false);
        }
        await control.ReplicateFromAsync(n.Endpoint, primary.Endpoint, ct).ConfigureAwait(false);
        timeline.Add("replicating", true, $"{node} replicates from {primary.Name}");
        return await FinishAsync(new("rejoin", cluster.Topology, true, $"{node} rejoined as a read-only replica of {primary.Name}.", primary.Name, null, [], timeline.Steps, [], [], false, null), actor, ct).ConfigureAwait(false);
    }

    private async Task<ImmutableArray<string>> RepointAsync(ReplicationCluster cluster, ClusterNode newPrimary, IEnumerable<ClusterNode> nodes, Timeline timeline,
        CancellationToken ct, GtidList? newPrimaryState = null, IReadOnlyDictionary<string, NodeStatus>? statuses = null)
    {
        var needRebuild = ImmutableArray.CreateBuilder<string>();
        await Task.WhenAll(nodes.Select(async n =>
        {
            if (newPrimaryState is not null && statuses?.GetValueOrDefault(n.Name) is { } s)
            {
                var errant = GtidList.Parse(s.BinlogState).NotIn(newPrimaryState);
                if (errant.Count > 0)
                {
                    lock (needRebuild) needRebuild.Add($"{n.Name}: has {string.Join(",", errant)} which {newPrimary.Name} does not; kept out");
                    timeline.Add($"repoint {n.Name}", false, $"kept out: errant transactions {string.Join(",", errant)}");
                    return;
                }
            }
            try
            {
                await control.ReplicateFromAsync(n.Endpoint, newPrimary.Endpoint, ct).ConfigureAwait(false);
                lock (needRebuild) timeline.Add($"repoint {n.Name}", true, $"{n.Name} replicates from {newPrimary.Name}");
            }
            catch (ReplicationCommandException e)
            {
                lock (needRebuild)
                {
                    needRebuild.Add($"{n.Name}: could not be repointed: {e.Message}");
                    timeline.Add($"repoint {n.Name}", false, e.Message);
                }
            }
        })).ConfigureAwait(false);
        return needRebuild.ToImmutable();
    }

    private async Task<ReplicationOperationResult> AfterPromotionAsync(string kind, ReplicationCluster cluster, ClusterNode old, ClusterNode cand,
        ImmutableArray<PreCheck> checks, ImmutableArray<CandidateAssessment> candidates, ImmutableArray<string> needRebuild, Timeline timeline, Actor actor, CancellationToken ct)
    {
        var route = await routing.MoveWriterAsync(cluster, old, cand, ct).ConfigureAwait(false);
        timeline.Add("routing", route.Ok, route.Detail);
        var revision = await StoreTopologyAsync(cluster, cand.Name, kind, actor, timeline, ct).ConfigureAwait(false);
        var summary = $"{char.ToUpperInvariant(kind[0])}{kind[1..]} done: {cand.Name} is the primary (was {old.Name})."
            + (route.Ok ? "" : $" Routing NOT moved: {route.Detail}.")
            + (needRebuild.IsEmpty ? "" : $" Needs attention: {string.Join("; ", needRebuild)}.");
        return await FinishAsync(new(kind, cluster.Topology, true, summary, old.Name, cand.Name, checks, timeline.Steps, candidates, needRebuild, false, revision), actor, ct).ConfigureAwait(false);
    }

    private async Task<int?> StoreTopologyAsync(ReplicationCluster cluster, string newPrimary, string kind, Actor actor, Timeline timeline, CancellationToken ct)
    {
        if (store is null) return null;
        var stored = await store.GetAsync(cluster.Topology, ct: ct).ConfigureAwait(false);
        if (stored is null)
        {
            timeline.Add("topology stored", false, $"no stored topology '{cluster.Topology}'");
            return null;
        }
        var spec = WithPrimary(stored.Spec, newPrimary);
        var saved = await store.SaveAsync(spec, actor, $"{kind}: {newPrimary} is the primary", ct).ConfigureAwait(false);
        timeline.Add("topology stored", saved.Saved, saved.Saved ? $"revision {saved.Revision!.Number}" : string.Join("; ", saved.Report.Errors));
        return saved.Revision?.Number;
    }

    /// <summary>The same topology with <paramref name="newPrimary"/> as primary; the old primary takes the replica's place.</summary>
    public static TopologySpec WithPrimary(TopologySpec spec, string newPrimary)
    {
        var db = spec.Database;
        if (db.Primary is null || db.Primary.Name == newPrimary) return spec;
        var index = db.Replicas.Select(r => r.Name).ToList().IndexOf(newPrimary);
        if (index < 0) throw new ArgumentException($"'{newPrimary}' is not a replica of '{spec.Name}'.", nameof(newPrimary));
        return spec with { Database = db with { Primary = db.Replicas[index], Replicas = db.Replicas.SetItem(index, db.Primary) } };
    }

    /// <summary>
    /// The adapter speaks MySQL 8 syntax, but the GTID arithmetic (errant transactions, most advanced replica) is written
    /// for MariaDB's domain-server-sequence lists; MySQL's UUID:interval sets are not compared yet, so nothing is changed.
    /// </summary>
    private static ReplicationOperationResult? NotSupported(ReplicationCluster cluster, string kind, Timeline timeline) =>
        cluster.Flavor == DatabaseFlavor.MySql
            ? Refused(kind, cluster, $"{kind} of a MySQL topology is not supported yet: comparing MySQL GTID sets (UUID:interval) is not implemented; only status is.",
                cluster.ExpectedPrimary, null, [], timeline)
            : null;

    /// <summary>GTIDs of <paramref name="node"/> that <paramref name="primary"/> has not got and did not write itself.</summary>
    private static IReadOnlyList<Gtid> Errant(NodeStatus node, NodeStatus primary) =>
        GtidList.Parse(node.BinlogState).NotIn(GtidList.Parse(primary.BinlogState)).Where(g => g.Server != primary.ServerId).ToList();

    private static ReplicationOperationResult Refused(string kind, ReplicationCluster cluster, string summary, string? oldPrimary, string? newPrimary,
        ImmutableArray<PreCheck> checks, Timeline timeline) =>
        new(kind, cluster.Topology, false, summary, oldPrimary, newPrimary, checks, timeline.Steps, [], [], false, null);

    private async Task<ReplicationOperationResult> FinishAsync(ReplicationOperationResult result, Actor actor, CancellationToken ct)
    {
        if (audit is not null)
            await audit.RecordAsync(actor, $"replication.{result.Kind}{(result.Succeeded ? "" : ".refused")}", result.Topology, result.Summary,
                result.OldPrimary, result.NewPrimary, ct).ConfigureAwait(false);
        return result;
    }

    private sealed class SwitchoverStepFailed(string message) : Exception(message);
}
