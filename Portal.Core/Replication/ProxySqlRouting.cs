using HaPortal.Core.ProxySql;

namespace HaPortal.Core.Replication;

/// <summary>Which mysql_servers rows are a given database node: ProxySQL reaches nodes where the other nodes do.</summary>
internal static class ProxySqlRows
{
    public static bool Is(ProxySqlServer row, ClusterNode node) =>
        (row.Hostname == node.Endpoint.SourceHost && row.Port == node.Endpoint.SourcePort) || row.Hostname == node.Name;

    public static ProxySqlServer RowFor(ClusterNode node, int hostgroup, ProxySqlServer? like, string status) =>
        (like ?? new ProxySqlServer { HostgroupId = hostgroup, Hostname = node.Endpoint.SourceHost }) with
        {
            HostgroupId = hostgroup, Hostname = node.Endpoint.SourceHost, Port = node.Endpoint.SourcePort, Status = status,
        };
}

/// <summary>
/// Moves the writer in every ProxySQL node of the stack: the writer hostgroup gets the new primary in place of the old
/// one (same weight and limits), the reader hostgroup gets the old primary (still OFFLINE_HARD when it was fenced) and
/// loses the new one unless the writer was also serving reads. Each node's change is loaded and saved by
/// <see cref="IProxySqlAdmin.ReplaceServersAsync"/>; then the runtime table is read until it shows the new primary
/// ONLINE in the writer hostgroup and the old one not, which is also what ProxySQL's read_only monitor decides from
/// the servers themselves (mysql_replication_hostgroups), so the move is confirmed rather than assumed.
/// </summary>
public sealed class ProxySqlRoutingSwitch(IReadOnlyList<IProxySqlAdmin> nodes, int writerHostgroup, int readerHostgroup, TimeProvider time,
    TimeSpan? confirmWithin = null) : IRoutingSwitch
{
    private readonly TimeSpan _confirmWithin = confirmWithin ?? TimeSpan.FromSeconds(5);

    public async Task<RoutingResult> MoveWriterAsync(ReplicationCluster cluster, ClusterNode oldPrimary, ClusterNode newPrimary, CancellationToken ct)
    {
        var details = new List<string>();
        foreach (var node in nodes)
        {
            var rows = await node.GetServersAsync(AdminLayer.Memory, ct).ConfigureAwait(false);
            var change = await node.ReplaceServersAsync(Moved(rows, oldPrimary, newPrimary), ct).ConfigureAwait(false);
            if (!change.Succeeded) return new(false, $"ProxySQL {node.Node}: {change}");
            var confirmed = await ConfirmAsync(node, oldPrimary, newPrimary, ct).ConfigureAwait(false);
            if (confirmed is not null) return new(false, $"ProxySQL {node.Node}: {confirmed}");
            details.Add($"{node.Node}: writer hostgroup {writerHostgroup} → {newPrimary.Name}");
        }
        return new(true, $"ProxySQL writer moved from {oldPrimary.Name} to {newPrimary.Name} and confirmed in runtime ({string.Join("; ", details)})");
    }

    /// <summary>The servers table after the move (pure).</summary>
    public IReadOnlyList<ProxySqlServer> Moved(IReadOnlyList<ProxySqlServer> rows, ClusterNode oldPrimary, ClusterNode newPrimary)
    {
        var oldWriter = rows.FirstOrDefault(r => r.HostgroupId == writerHostgroup && ProxySqlRows.Is(r, oldPrimary));
        var writerAlsoReads = rows.Any(r => r.HostgroupId == readerHostgroup && ProxySqlRows.Is(r, oldPrimary));
        var oldFenced = rows.Any(r => ProxySqlRows.Is(r, oldPrimary) && r.Status == ServerStatus.OfflineHard);
        var oldReader = rows.FirstOrDefault(r => r.HostgroupId == readerHostgroup && ProxySqlRows.Is(r, oldPrimary));
        var newReader = rows.FirstOrDefault(r => r.HostgroupId == readerHostgroup && ProxySqlRows.Is(r, newPrimary));

        var kept = rows.Where(r => !((r.HostgroupId == writerHostgroup || r.HostgroupId == readerHostgroup)
            && (ProxySqlRows.Is(r, oldPrimary) || ProxySqlRows.Is(r, newPrimary)))).ToList();
        kept.Add(ProxySqlRows.RowFor(newPrimary, writerHostgroup, oldWriter ?? newReader, ServerStatus.Online));
        if (writerAlsoReads && newReader is not null) kept.Add(newReader with { Status = ServerStatus.Online });
        kept.Add(ProxySqlRows.RowFor(oldPrimary, readerHostgroup, oldReader ?? newReader ?? oldWriter, oldFenced ? ServerStatus.OfflineHard : ServerStatus.Online));
        return kept;
    }

    private async Task<string?> ConfirmAsync(IProxySqlAdmin node, ClusterNode oldPrimary, ClusterNode newPrimary, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + _confirmWithin;
        while (true)
        {
            var runtime = await node.GetServersAsync(AdminLayer.Runtime, ct).ConfigureAwait(false);
            var writers = runtime.Where(r => r.HostgroupId == writerHostgroup && r.Status == ServerStatus.Online).ToList();
            if (writers.Any(r => ProxySqlRows.Is(r, newPrimary)) && !writers.Any(r => ProxySqlRows.Is(r, oldPrimary))) return null;
            if (time.GetUtcNow() >= deadline)
                return $"runtime_mysql_servers does not show {newPrimary.Name} as the only ONLINE writer within {_confirmWithin.TotalSeconds:0.#} s " +
                       $"(writers: {string.Join(", ", writers.Select(w => $"{w.Hostname}:{w.Port}"))})";
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Fences a node in every ProxySQL node of the stack: each of its rows goes OFFLINE_HARD, so ProxySQL sends it no new
/// query and drops its connections. Confirmed only when every ProxySQL node confirmed the change in runtime.
/// </summary>
public sealed class ProxySqlFencing(IReadOnlyList<IProxySqlAdmin> nodes) : IFencing
{
    public async Task<FenceResult> FenceAsync(ClusterNode node, CancellationToken ct)
    {
        var done = new List<string>();
        foreach (var proxy in nodes)
        {
            try
            {
                var rows = await proxy.GetServersAsync(AdminLayer.Memory, ct).ConfigureAwait(false);
                if (!rows.Any(r => ProxySqlRows.Is(r, node)))
                {
                    done.Add($"{proxy.Node}: no row for {node.Name}");
                    continue;
                }
                var change = await proxy.ReplaceServersAsync(
                    [.. rows.Select(r => ProxySqlRows.Is(r, node) ? r with { Status = ServerStatus.OfflineHard } : r)], ct).ConfigureAwait(false);
                if (!change.Succeeded) return new(false, "proxysql", $"ProxySQL {change}");
                var runtime = await proxy.GetServersAsync(AdminLayer.Runtime, ct).ConfigureAwait(false);
                if (runtime.Any(r => ProxySqlRows.Is(r, node) && r.Status != ServerStatus.OfflineHard))
                    return new(false, "proxysql", $"ProxySQL {proxy.Node}: {node.Name} is not OFFLINE_HARD in runtime_mysql_servers");
                done.Add($"{proxy.Node}: OFFLINE_HARD");
            }
            catch (ProxySqlAdminException e)
            {
                return new(false, "proxysql", $"ProxySQL {proxy.Node} unreachable: {e.Message}");
            }
        }
        return new(true, "proxysql", $"{node.Name} fenced in ProxySQL ({string.Join("; ", done)})");
    }
}
