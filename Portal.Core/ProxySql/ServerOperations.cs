using HaPortal.Core.Audit;
using HaPortal.Core.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HaPortal.Core.ProxySql;

/// <summary>A status change that was rolled out: enough to retry it on the unfinished nodes or undo it on the applied ones.</summary>
public sealed record ServerStatusChange(string Hostname, int Port, int? Hostgroup, string Status, IReadOnlyList<ProxySqlServer> Before, RolloutResult Rollout)
{
    public string Server => $"{Hostname}:{Port}";

    public bool Matches(ProxySqlServer s) => s.Hostname == Hostname && s.Port == Port && (Hostgroup is null || s.HostgroupId == Hostgroup);
}

/// <summary>Taking a backend out of rotation and back: a status change on every row of that server, rolled out and audited.</summary>
public sealed class ServerOperations(AuditLog audit)
{
    /// <summary>
    /// Sets <paramref name="status"/> (OFFLINE_SOFT drains: running transactions finish, no new ones start) on every
    /// hostgroup row of host:port, or only in <paramref name="hostgroup"/>. Null when no such server is configured.
    /// </summary>
    public async Task<RolloutResult?> SetStatusAsync(IReadOnlyList<IProxySqlAdmin> nodes, string hostname, int port, int? hostgroup,
        string status, Actor actor, CancellationToken ct = default) =>
        (await ChangeStatusAsync(nodes, hostname, port, hostgroup, status, actor, ct).ConfigureAwait(false))?.Rollout;

    /// <inheritdoc cref="SetStatusAsync"/>
    public async Task<ServerStatusChange?> ChangeStatusAsync(IReadOnlyList<IProxySqlAdmin> nodes, string hostname, int port, int? hostgroup,
        string status, Actor actor, CancellationToken ct = default)
    {
        actor.EnsureCanChange($"set a ProxySQL server {status}");
        var before = await nodes[0].GetServersAsync(AdminLayer.Memory, ct).ConfigureAwait(false);
        var change = new ServerStatusChange(hostname, port, hostgroup, status, [], new RolloutResult([]));
        var rows = before.Where(change.Matches).ToList();
        if (rows.Count == 0) return null;
        var rollout = await ProxySqlRollout.RunAsync(nodes, (node, c) => SetOnNodeAsync(node, change.Matches, _ => status, c), ct).ConfigureAwait(false);
        await audit.RecordAsync(actor, "proxysql.server.status", change.Server,
            $"{string.Join(", ", rows.Select(r => $"hostgroup {r.HostgroupId}: {r.Status} → {status}"))}: {string.Join("; ", rollout.Nodes)}",
            string.Join(",", rows.Select(r => r.Status)), status, ct).ConfigureAwait(false);
        return change with { Before = rows, Rollout = rollout };
    }

    /// <summary>Runs a partial change again on the nodes that did not apply it (the others keep their outcome).</summary>
    public async Task<ServerStatusChange> RetryAsync(IReadOnlyList<IProxySqlAdmin> nodes, ServerStatusChange change, Actor actor, CancellationToken ct = default)
    {
        actor.EnsureCanChange($"retry setting a ProxySQL server {change.Status}");
        var rollout = await ProxySqlRollout.RetryAsync(change.Rollout, nodes, (node, c) => SetOnNodeAsync(node, change.Matches, _ => change.Status, c), ct)
            .ConfigureAwait(false);
        await audit.RecordAsync(actor, "proxysql.server.status.retry", change.Server, $"retry {change.Status} on unfinished nodes: {string.Join("; ", rollout.Nodes)}",
            string.Join(",", change.Before.Select(r => r.Status)), change.Status, ct).ConfigureAwait(false);
        return change with { Rollout = rollout };
    }

    /// <summary>Puts each row's previous status back on the nodes that applied a partial change.</summary>
    public async Task<ServerStatusChange> RollBackAsync(IReadOnlyList<IProxySqlAdmin> nodes, ServerStatusChange change, Actor actor, CancellationToken ct = default)
    {
        actor.EnsureCanChange("roll back a ProxySQL server status change");
        string Previous(ProxySqlServer s) => change.Before.FirstOrDefault(b => b.HostgroupId == s.HostgroupId)?.Status ?? s.Status;
        var rollout = await ProxySqlRollout.RollBackAsync(change.Rollout, nodes, (node, c) => SetOnNodeAsync(node, change.Matches, Previous, c), ct)
            .ConfigureAwait(false);
        await audit.RecordAsync(actor, "proxysql.server.status.rollback", change.Server, $"roll back {change.Status} on applied nodes: {string.Join("; ", rollout.Nodes)}",
            change.Status, string.Join(",", change.Before.Select(r => r.Status)), ct).ConfigureAwait(false);
        // After a rollback "Applied" means the undo applied: nothing is left to retry or roll back.
        return change with { Rollout = rollout, Status = string.Join(",", change.Before.Select(r => r.Status).Distinct()) };
    }

    // Each node gets its own rows with only this server's status changed, so a node's other differences survive.
    private static async Task<NodeChangeResult> SetOnNodeAsync(IProxySqlAdmin node, Func<ProxySqlServer, bool> target, Func<ProxySqlServer, string> status,
        CancellationToken ct)
    {
        var current = await node.GetServersAsync(AdminLayer.Memory, ct).ConfigureAwait(false);
        return await node.ReplaceServersAsync(current.Select(s => target(s) ? s with { Status = status(s) } : s).ToList(), ct).ConfigureAwait(false);
    }
}

/// <summary>Registration of the ProxySQL services; TryAdd so tests can put doubles in first.</summary>
public static class ProxySqlServices
{
    public static IServiceCollection AddProxySql(this IServiceCollection services)
    {
        services.TryAddSingleton<IProxySqlAdminFactory, ProxySqlAdminFactory>();
        services.TryAddSingleton<QueryRuleOperations>();
        services.TryAddSingleton<ServerOperations>();
        services.TryAddSingleton<ReadRoutingOperations>();
        return services;
    }
}
