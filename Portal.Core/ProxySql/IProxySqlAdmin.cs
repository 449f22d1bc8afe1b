namespace HaPortal.Core.ProxySql;

/// <summary>
/// One ProxySQL node's admin interface (port 6032). Reads return domain records; a change replaces a table's rows,
/// loads it to runtime, saves it to disk and confirms it in the runtime table, and on any failure puts the admin
/// tables back as they were (see <see cref="NodeChangeResult"/>). Instances are cheap and hold no open connection;
/// every method opens its own and honours the cancellation token.
/// </summary>
public interface IProxySqlAdmin
{
    /// <summary>Name used in results and errors (the endpoint address unless given one).</summary>
    string Node { get; }

    Task<IReadOnlyList<ProxySqlQueryRule>> GetQueryRulesAsync(AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default);
    Task<IReadOnlyList<ProxySqlServer>> GetServersAsync(AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default);
    Task<IReadOnlyList<ProxySqlUser>> GetUsersAsync(AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default);
    Task<IReadOnlyList<ReplicationHostgroup>> GetReplicationHostgroupsAsync(AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default);
    Task<IReadOnlyList<ProxySqlPeer>> GetPeersAsync(AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default);

    /// <summary>global_variables whose name starts with <paramref name="prefix"/> (e.g. "mysql-monitor_").</summary>
    Task<IReadOnlyList<GlobalVariable>> GetVariablesAsync(string prefix, AdminLayer layer = AdminLayer.Memory, CancellationToken ct = default);

    Task<IReadOnlyList<QueryDigestStat>> GetQueryDigestsAsync(CancellationToken ct = default);
    Task<IReadOnlyList<ConnectionPoolStat>> GetConnectionPoolAsync(CancellationToken ct = default);
    Task<IReadOnlyList<QueryRuleHits>> GetRuleHitsAsync(CancellationToken ct = default);

    Task<NodeChangeResult> ReplaceQueryRulesAsync(IReadOnlyList<ProxySqlQueryRule> rules, CancellationToken ct = default);
    Task<NodeChangeResult> ReplaceServersAsync(IReadOnlyList<ProxySqlServer> servers, CancellationToken ct = default);
    Task<NodeChangeResult> ReplaceUsersAsync(IReadOnlyList<ProxySqlUser> users, CancellationToken ct = default);
    Task<NodeChangeResult> ReplaceReplicationHostgroupsAsync(IReadOnlyList<ReplicationHostgroup> hostgroups, CancellationToken ct = default);
    Task<NodeChangeResult> ReplacePeersAsync(IReadOnlyList<ProxySqlPeer> peers, CancellationToken ct = default);

    /// <summary>Sets existing variables; all names share one prefix, "mysql-" or "admin-" (they load as one module).</summary>
    Task<NodeChangeResult> SetVariablesAsync(IReadOnlyList<GlobalVariable> variables, CancellationToken ct = default);
}

/// <summary>Makes an <see cref="IProxySqlAdmin"/> for an endpoint; tests register their own first.</summary>
public interface IProxySqlAdminFactory
{
    IProxySqlAdmin Connect(ProxySqlEndpoint endpoint, string? nodeName = null);
}

public sealed class ProxySqlAdminFactory : IProxySqlAdminFactory
{
    public IProxySqlAdmin Connect(ProxySqlEndpoint endpoint, string? nodeName = null) => new ProxySqlAdminClient(endpoint, nodeName);
}
