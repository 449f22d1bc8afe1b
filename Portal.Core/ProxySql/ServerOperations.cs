using HaPortal.Core.Audit;
using HaPortal.Core.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HaPortal.Core.ProxySql;

/// <summary>Taking a backend out of rotation and back: a status change on every row of that server, rolled out and audited.</summary>
public sealed class ServerOperations(AuditLog audit)
{
    /// <summary>
    /// Sets <paramref name="status"/> (OFFLINE_SOFT drains: running transactions finish, no new ones start) on every
    /// hostgroup row of host:port, or only in <paramref name="hostgroup"/>. Null when no such server is configured.
    /// </summary>
    public async Task<RolloutResult?> SetStatusAsync(IReadOnlyList<IProxySqlAdmin> nodes, string hostname, int port, int? hostgroup,
        string status, Actor actor, CancellationToken ct = default)
    {
        actor.EnsureCanChange($"set a ProxySQL server {status}");
        var before = await nodes[0].GetServersAsync(AdminLayer.Memory, ct).ConfigureAwait(false);
        bool Target(ProxySqlServer s) => s.Hostname == hostname && s.Port == port && (hostgroup is null || s.HostgroupId == hostgroup);
        if (!before.Any(Target)) return null;
        // Each node gets its own rows with only this server's status changed, so a node's other differences survive.
        var rollout = await ProxySqlRollout.RunAsync(nodes, async (node, c) =>
        {
            var current = await node.GetServersAsync(AdminLayer.Memory, c).ConfigureAwait(false);
            return await node.ReplaceServersAsync(current.Select(s => Target(s) ? s with { Status = status } : s).ToList(), c).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        var rows = before.Where(Target).ToList();
        await audit.RecordAsync(actor, "proxysql.server.status", $"{hostname}:{port}",
            $"{string.Join(", ", rows.Select(r => $"hostgroup {r.HostgroupId}: {r.Status} → {status}"))}: {string.Join("; ", rollout.Nodes)}",
            string.Join(",", rows.Select(r => r.Status)), status, ct).ConfigureAwait(false);
        return rollout;
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
