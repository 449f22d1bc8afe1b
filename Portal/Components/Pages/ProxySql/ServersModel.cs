using HaPortal.Core.ProxySql;
using HaPortal.Core.Security;

namespace HaPortal.Components.Pages.ProxySql;

/// <summary>Read routing as edited on the page (mutable for binding).</summary>
public sealed class ReadRoutingForm
{
    public bool ReadFallback { get; set; }
    public int FallbackWeight { get; set; } = 1;
    public bool WriterIsAlsoReader { get; set; } = true;

    public static ReadRoutingForm From(ReadRouting r) => new() { ReadFallback = r.ReadFallback, FallbackWeight = r.FallbackWeight, WriterIsAlsoReader = r.WriterIsAlsoReader };

    public ReadRouting ToRouting() => new(ReadFallback, FallbackWeight, WriterIsAlsoReader);
}

/// <summary>
/// State and actions of the servers page over the configured ProxySQL nodes (first = canary): runtime servers with
/// their pool figures, sampled history, top digests per hostgroup, status changes (with retry / roll back of a partial
/// rollout) and read routing. Changes go through <see cref="ServerOperations"/> and <see cref="ReadRoutingOperations"/>.
/// </summary>
public sealed class ServersModel(IReadOnlyList<IProxySqlAdmin> nodes, string? topology, ServerOperations servers, ReadRoutingOperations routing)
{
    public const int TopDigests = 5;

    public IReadOnlyList<ProxySqlServer> Servers { get; private set; } = [];
    public IReadOnlyList<ConnectionPoolStat> Pool { get; private set; } = [];
    public IReadOnlyList<QueryDigestStat> Digests { get; private set; } = [];
    public IReadOnlyList<ReplicationHostgroup> Pairs { get; private set; } = [];
    public PoolHistory History { get; } = new();
    public ReadRoutingForm Routing { get; private set; } = new();
    public IReadOnlyList<RuleProblem> Problems { get; private set; } = [];

    /// <summary>The last status change; kept while a node did not apply it, so it can be retried or rolled back.</summary>
    public ServerStatusChange? LastChange { get; private set; }
    public RolloutResult? LastRollout { get; private set; }
    public string? Outcome { get; private set; }
    public bool OutcomeFailed { get; private set; }

    public bool Partial => LastChange is { Rollout: { Succeeded: false } r } && r.Nodes.Any(n => n.State == NodeState.Applied);

    public string NodeList => string.Join(", ", nodes.Select(n => n.Node));

    public async Task LoadAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        Pairs = await nodes[0].GetReplicationHostgroupsAsync(AdminLayer.Runtime, ct);
        Routing = ReadRoutingForm.From(await ReadRoutingOperations.ReadAsync(nodes[0], ct));
        await SampleAsync(now, ct);
    }

    /// <summary>One live sample: runtime servers, pool counters (into the history), digests.</summary>
    public async Task SampleAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        Servers = await nodes[0].GetServersAsync(AdminLayer.Runtime, ct);
        Pool = await nodes[0].GetConnectionPoolAsync(ct);
        Digests = await nodes[0].GetQueryDigestsAsync(ct);
        History.Add(now, Pool);
    }

    public IEnumerable<IGrouping<int, ProxySqlServer>> ByHostgroup => Servers.GroupBy(s => s.HostgroupId).OrderBy(g => g.Key);

    public ConnectionPoolStat? PoolOf(ProxySqlServer s) => Pool.FirstOrDefault(p => p.Hostgroup == s.HostgroupId && p.Host == s.Hostname && p.Port == s.Port);

    public IEnumerable<QueryDigestStat> TopDigestsOf(int hostgroup) => Digests.Where(d => d.Hostgroup == hostgroup).OrderByDescending(d => d.CountStar).Take(TopDigests);

    /// <summary>"writer", "reader" or nothing, from the replication hostgroup pairs.</summary>
    public string RoleOf(int hostgroup) =>
        Pairs.Any(p => p.WriterHostgroup == hostgroup) ? "writer" : Pairs.Any(p => p.ReaderHostgroup == hostgroup) ? "reader" : "";

    public async Task<bool> SetStatusAsync(ProxySqlServer server, string status, Actor actor, DateTimeOffset now, CancellationToken ct = default)
    {
        var change = await Guard(() => servers.ChangeStatusAsync(nodes, server.Hostname, server.Port, null, status, actor, ct));
        if (change is null) return false;
        return await ReportAsync(change, $"{server.Hostname}:{server.Port} {status}", now, ct);
    }

    public async Task<bool> RetryAsync(Actor actor, DateTimeOffset now, CancellationToken ct = default) =>
        LastChange is { } last && await Guard<ServerStatusChange>(async () => await servers.RetryAsync(nodes, last, actor, ct)) is { } change
        && await ReportAsync(change, $"retry {last.Server} {last.Status}", now, ct);

    public async Task<bool> RollBackAsync(Actor actor, DateTimeOffset now, CancellationToken ct = default) =>
        LastChange is { } last && await Guard<ServerStatusChange>(async () => await servers.RollBackAsync(nodes, last, actor, ct)) is { } change
        && await ReportAsync(change, $"roll back {last.Server} to {string.Join(",", last.Before.Select(b => b.Status).Distinct())}", now, ct);

    public async Task<bool> ApplyRoutingAsync(Actor actor, DateTimeOffset now, CancellationToken ct = default)
    {
        ReadRoutingOutcome outcome;
        try { outcome = await routing.ApplyAsync(new RuleTarget(nodes, topology), Routing.ToRouting(), actor, ct); }
        catch (ForbiddenException e)
        {
            (Outcome, OutcomeFailed) = (e.Message, true);
            return false;
        }
        Problems = outcome.Problems;
        if (outcome.Rollout is { } rollout)
        {
            LastRollout = rollout;
            LastChange = null;
            OutcomeFailed = !rollout.Succeeded;
            Outcome = "read routing: " + string.Join("; ", rollout.Nodes) + (outcome.Revision is { } rev ? $"; topology revision {rev}" : "");
        }
        await LoadAsync(now, ct);
        return outcome.Succeeded;
    }

    private async Task<T?> Guard<T>(Func<Task<T?>> action) where T : class
    {
        try { return await action(); }
        catch (ForbiddenException e)
        {
            (Outcome, OutcomeFailed) = (e.Message, true);
            return null;
        }
    }

    private async Task<bool> ReportAsync(ServerStatusChange change, string what, DateTimeOffset now, CancellationToken ct)
    {
        LastChange = change;
        LastRollout = change.Rollout;
        Problems = [];
        OutcomeFailed = !change.Rollout.Succeeded;
        Outcome = $"{what}: " + string.Join("; ", change.Rollout.Nodes);
        await SampleAsync(now, ct);
        return change.Rollout.Succeeded;
    }
}
