using System.Globalization;
using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;

namespace HaPortal.Core.ProxySql;

/// <summary>How reads reach the primary: the read fallback row and ProxySQL's writer_is_also_reader.</summary>
public sealed record ReadRouting(bool ReadFallback, int FallbackWeight, bool WriterIsAlsoReader)
{
    public const string WriterIsAlsoReaderVariable = "mysql-monitor_writer_is_also_reader";

    public override string ToString() =>
        $"read fallback {(ReadFallback ? $"on (weight {FallbackWeight})" : "off")}, writer_is_also_reader {(WriterIsAlsoReader ? "true" : "false")}";
}

/// <summary>What a read-routing change did: refused with problems, or rolled out per node (and stored as a revision).</summary>
public sealed record ReadRoutingOutcome(IReadOnlyList<RuleProblem> Problems, RolloutResult? Rollout = null, int? Revision = null)
{
    public bool Succeeded => Problems.Count == 0 && Rollout is { Succeeded: true };
}

/// <summary>
/// Reads and changes <see cref="ReadRouting"/> on the ProxySQL nodes: the primary's row in the reader hostgroup (in
/// mysql_servers, where the monitor leaves explicit rows alone) and the mysql-monitor_writer_is_also_reader variable,
/// each through <see cref="IProxySqlAdmin"/>'s write → LOAD → SAVE → confirm, canary first. With a stored topology the
/// same options are written to sqlRouter.readFallback / writerIsAlsoReader, so the renderer produces the same state.
/// </summary>
public sealed class ReadRoutingOperations(TopologyStore store, AuditLog audit)
{
    /// <summary>The writer and reader hostgroup of the node's first replication pair.</summary>
    public static async Task<(int Writer, int Reader)?> HostgroupsAsync(IProxySqlAdmin node, CancellationToken ct) =>
        (await node.GetReplicationHostgroupsAsync(AdminLayer.Memory, ct).ConfigureAwait(false)).FirstOrDefault() is { } pair
            ? (pair.WriterHostgroup, pair.ReaderHostgroup) : null;

    /// <summary>The routing as configured on a node (memory layer: what the portal set, not what the monitor added).</summary>
    public static async Task<ReadRouting> ReadAsync(IProxySqlAdmin node, CancellationToken ct = default)
    {
        var variable = (await node.GetVariablesAsync(ReadRouting.WriterIsAlsoReaderVariable, AdminLayer.Memory, ct).ConfigureAwait(false))
            .FirstOrDefault(v => v.Name == ReadRouting.WriterIsAlsoReaderVariable);
        var writerIsAlsoReader = variable is null || IsTrue(variable.Value);
        if (await HostgroupsAsync(node, ct).ConfigureAwait(false) is not { } hg) return new ReadRouting(false, 1, writerIsAlsoReader);
        var servers = await node.GetServersAsync(AdminLayer.Memory, ct).ConfigureAwait(false);
        var fallback = FallbackRows(servers, hg).FirstOrDefault();
        return new ReadRouting(fallback is not null, fallback?.Weight ?? 1, writerIsAlsoReader);
    }

    /// <summary>Every problem of the requested routing, with its field.</summary>
    public static List<RuleProblem> Validate(ReadRouting routing)
    {
        var problems = new List<RuleProblem>();
        if (routing.ReadFallback && routing.FallbackWeight is < 1 or > TopologyValidator.MaxProxySqlWeight)
            problems.Add(new("fallbackWeight", $"Weight {routing.FallbackWeight} is out of range; use 1–{TopologyValidator.MaxProxySqlWeight} (replicas have {TopologyValidator.ReplicaWeight}; 1–10 keeps the primary a last resort)."));
        if (routing.ReadFallback && !routing.WriterIsAlsoReader)
            problems.Add(new("writerIsAlsoReader", "The read fallback needs writer_is_also_reader: with false the monitor takes the writer out of the reader hostgroup, fallback row included."));
        return problems;
    }

    public async Task<ReadRoutingOutcome> ApplyAsync(RuleTarget target, ReadRouting routing, Actor actor, CancellationToken ct = default)
    {
        actor.EnsureCanChange("change ProxySQL read routing");
        if (target.Nodes.Count == 0) return new([new RuleProblem("nodes", "Name at least one ProxySQL admin endpoint.")]);
        var problems = Validate(routing);
        var stored = target.TopologyName is { } name ? await store.GetAsync(name, ct: ct).ConfigureAwait(false) : null;
        if (target.TopologyName is not null && stored?.Spec.SqlRouter is null)
            problems.Add(new("topology", $"No stored topology named '{target.TopologyName}' with a sqlRouter."));
        if (await HostgroupsAsync(target.Nodes[0], ct).ConfigureAwait(false) is not { } hg)
            problems.Add(new("nodes", $"{target.Nodes[0].Node} has no mysql_replication_hostgroups row, so there is no writer or reader hostgroup to route between."));
        if (problems.Count > 0) return new(problems);

        var before = await ReadAsync(target.Nodes[0], ct).ConfigureAwait(false);
        var rollout = await ProxySqlRollout.RunAsync(target.Nodes, (node, c) => ApplyToNodeAsync(node, routing, c), ct).ConfigureAwait(false);
        int? revision = null;
        if (rollout.Succeeded && stored is { Spec: { SqlRouter: { } router } spec })
        {
            var next = spec with
            {
                SqlRouter = router with
                {
                    ReadFallback = new ReadFallbackSpec { Enabled = routing.ReadFallback, Weight = routing.FallbackWeight },
                    WriterIsAlsoReader = routing.WriterIsAlsoReader,
                },
            };
            if (!next.Equals(spec))
            {
                var saved = await store.SaveAsync(next, actor, "read routing: " + routing, ct).ConfigureAwait(false);
                revision = saved.Revision?.Number;
            }
        }
        await audit.RecordAsync(actor, "proxysql.read-routing", target.Describe,
            $"{before} → {routing}{(revision is { } r ? $", topology revision {r}" : "")}: {string.Join("; ", rollout.Nodes)}",
            before.ToString(), routing.ToString(), ct).ConfigureAwait(false);
        return new([], rollout, revision);
    }

    /// <summary>One node's part: the variable, then the servers (each confirmed in runtime). Also the undo, given the previous routing.</summary>
    public static async Task<NodeChangeResult> ApplyToNodeAsync(IProxySqlAdmin node, ReadRouting routing, CancellationToken ct)
    {
        if (await HostgroupsAsync(node, ct).ConfigureAwait(false) is not { } hg)
            return new NodeChangeResult(node.Node, ChangeStep.Snapshot, "no mysql_replication_hostgroups row on this node");
        var variable = await node.SetVariablesAsync([new GlobalVariable(ReadRouting.WriterIsAlsoReaderVariable, routing.WriterIsAlsoReader ? "true" : "false")], ct)
            .ConfigureAwait(false);
        if (!variable.Succeeded) return variable;
        var current = await node.GetServersAsync(AdminLayer.Memory, ct).ConfigureAwait(false);
        var stale = FallbackRows(current, hg).ToHashSet();
        var rows = current.Where(s => !stale.Contains(s)).ToList();
        if (routing.ReadFallback)
            rows.AddRange(current.Where(s => s.HostgroupId == hg.Writer).Select(w => w with
            {
                HostgroupId = hg.Reader, Weight = routing.FallbackWeight, Status = ServerStatus.Online,
                Comment = (w.Comment.Length > 0 ? w.Comment + " " : "") + "(read fallback)",
            }));
        return await node.ReplaceServersAsync(rows, ct).ConfigureAwait(false);
    }

    /// <summary>Rows of writer servers in the reader hostgroup: in the memory table only the portal (or a person) puts them there.</summary>
    private static IEnumerable<ProxySqlServer> FallbackRows(IReadOnlyList<ProxySqlServer> servers, (int Writer, int Reader) hg)
    {
        var writers = servers.Where(s => s.HostgroupId == hg.Writer).Select(s => (s.Hostname, s.Port)).ToHashSet();
        return servers.Where(s => s.HostgroupId == hg.Reader && writers.Contains((s.Hostname, s.Port)));
    }

    private static bool IsTrue(string value) =>
        value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1" || (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0);
}
