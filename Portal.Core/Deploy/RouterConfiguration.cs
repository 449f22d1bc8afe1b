using System.Collections.Immutable;
using HaPortal.Core.ProxySql;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Deploy;

/// <summary>
/// What a deployed ProxySQL node must hold in its runtime tables for the topology, and the differences from what it does
/// hold: servers in the writer and reader hostgroups, the replication hostgroups, the app user, the query rules and, for
/// two or more nodes, every node as a cluster peer. Read through <see cref="IProxySqlAdmin"/>, the same client the
/// operate pages use.
/// </summary>
public static class RouterConfiguration
{
    /// <summary>Every way the node's runtime differs from the topology, one line each; empty when it matches.</summary>
    public static async Task<ImmutableArray<string>> DifferencesAsync(IProxySqlAdmin admin, TopologySpec spec, CancellationToken ct)
    {
        var router = spec.SqlRouter ?? throw new ArgumentException($"Topology '{spec.Name}' has no sqlRouter.", nameof(spec));
        var hg = router.Hostgroups;
        var problems = ImmutableArray.CreateBuilder<string>();

        var servers = await admin.GetServersAsync(AdminLayer.Runtime, ct).ConfigureAwait(false);
        problems.AddRange(ServerDifferences(spec, servers));

        var replication = await admin.GetReplicationHostgroupsAsync(AdminLayer.Runtime, ct).ConfigureAwait(false);
        if (!replication.Any(r => r.WriterHostgroup == hg.Writer && r.ReaderHostgroup == hg.Reader && r.CheckType == "read_only"))
            problems.Add($"runtime_mysql_replication_hostgroups: no row writer {hg.Writer} / reader {hg.Reader} checked by read_only.");

        var users = await admin.GetUsersAsync(AdminLayer.Runtime, ct).ConfigureAwait(false);
        var app = spec.Database.AppUser;
        if (!users.Any(u => u.Username == app && u.Active && u.DefaultHostgroup == hg.Writer))
            problems.Add($"runtime_mysql_users: no active user '{app}' with default hostgroup {hg.Writer}.");

        var want = ReadYourWritesRule.EffectiveRules(spec).Select(r => Comparable(QueryRuleOperations.FromSpec(r, hg))).ToDictionary(r => r.RuleId);
        var have = (await admin.GetQueryRulesAsync(AdminLayer.Runtime, ct).ConfigureAwait(false)).Select(Comparable).ToList();
        foreach (var (id, rule) in want.OrderBy(kv => kv.Key))
        {
            var found = have.FirstOrDefault(r => r.RuleId == id);
            if (found is null) problems.Add($"runtime_mysql_query_rules: rule {id} is missing.");
            else if (found != rule) problems.Add($"runtime_mysql_query_rules: rule {id} differs from the topology.");
        }
        foreach (var extra in have.Where(r => !want.ContainsKey(r.RuleId)).OrderBy(r => r.RuleId))
            problems.Add($"runtime_mysql_query_rules: rule {extra.RuleId} is not in the topology.");

        if (router.Nodes.Length > 1)
        {
            var peers = (await admin.GetPeersAsync(AdminLayer.Runtime, ct).ConfigureAwait(false)).Select(p => p.Hostname).Order(StringComparer.Ordinal).ToList();
            var nodes = router.Nodes.Select(n => n.Name).Order(StringComparer.Ordinal).ToList();
            if (!peers.SequenceEqual(nodes))
                problems.Add($"runtime_proxysql_servers: cluster peers are [{string.Join(", ", peers)}], not [{string.Join(", ", nodes)}].");
        }
        return problems.ToImmutable();
    }

    /// <summary>
    /// The writer hostgroup holds the primary and nothing else; the reader hostgroup every replica, and the primary only
    /// where ProxySQL puts it itself (writer is also reader) or the read fallback row does. Status and weights are the
    /// monitor's business and are not compared.
    /// </summary>
    internal static IEnumerable<string> ServerDifferences(TopologySpec spec, IReadOnlyList<ProxySqlServer> servers)
    {
        var router = spec.SqlRouter!;
        var hg = router.Hostgroups;
        var primary = spec.Database.Primary!.Name;
        var replicas = spec.Database.Replicas.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        string Hosts(IEnumerable<string> hosts) => hosts.Any() ? string.Join(", ", hosts.Order(StringComparer.Ordinal)) : "none";

        var writers = servers.Where(s => s.HostgroupId == hg.Writer).Select(s => s.Hostname).Distinct().ToList();
        if (writers is not [var writer] || writer != primary)
            yield return $"runtime_mysql_servers: writer hostgroup {hg.Writer} holds {Hosts(writers)}, not {primary}.";

        var readers = servers.Where(s => s.HostgroupId == hg.Reader).Select(s => s.Hostname).ToHashSet(StringComparer.Ordinal);
        var missing = replicas.Where(r => !readers.Contains(r)).ToList();
        if (router.ReadFallback.Enabled && !readers.Contains(primary)) missing.Add(primary);
        if (missing.Count > 0)
            yield return $"runtime_mysql_servers: reader hostgroup {hg.Reader} lacks {Hosts(missing)}.";
        var primaryMayRead = router.WriterIsAlsoReader || router.ReadFallback.Enabled;
        var unknown = readers.Where(r => !replicas.Contains(r) && !(r == primary && primaryMayRead)).ToList();
        if (unknown.Count > 0)
            yield return $"runtime_mysql_servers: reader hostgroup {hg.Reader} holds {Hosts(unknown)}, which the topology does not put there.";
        var elsewhere = servers.Where(s => s.HostgroupId != hg.Writer && s.HostgroupId != hg.Reader).Select(s => $"{s.Hostname} (hostgroup {s.HostgroupId})").ToList();
        if (elsewhere.Count > 0)
            yield return $"runtime_mysql_servers: {Hosts(elsewhere)} are in no hostgroup of the topology.";
    }

    // The columns the topology holds; the rest keep ProxySQL's defaults and are not compared.
    private static ProxySqlQueryRule Comparable(ProxySqlQueryRule r) => new()
    {
        RuleId = r.RuleId, Active = r.Active, Username = r.Username, Schemaname = r.Schemaname, FlagIn = r.FlagIn,
        MatchDigest = r.MatchDigest, MatchPattern = r.MatchPattern, NegateMatchPattern = r.NegateMatchPattern, FlagOut = r.FlagOut,
        DestinationHostgroup = r.DestinationHostgroup, Apply = r.Apply, Comment = r.Comment,
    };
}
