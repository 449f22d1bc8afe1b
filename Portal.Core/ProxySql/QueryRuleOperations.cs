using System.Text.Json;
using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;

namespace HaPortal.Core.ProxySql;

/// <summary>The ProxySQL nodes a rule change goes to (first = canary), and the stored topology it is written back to, if any.</summary>
public sealed record RuleTarget(IReadOnlyList<IProxySqlAdmin> Nodes, string? TopologyName = null)
{
    public string Describe => TopologyName ?? string.Join(",", Nodes.Select(n => n.Node));
}

/// <summary>A rule field that is not acceptable, and how to fix it.</summary>
public sealed record RuleProblem(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>
/// What a rule change did: refused (problems, nothing changed), or rolled out (per-node outcome) and, when all nodes
/// confirmed it, stored as a topology revision.
/// </summary>
public sealed record RuleChangeOutcome(IReadOnlyList<RuleProblem> Problems, RolloutResult? Rollout = null, int? Revision = null,
    IReadOnlyList<ProxySqlQueryRule>? Before = null, IReadOnlyList<ProxySqlQueryRule>? After = null)
{
    public bool Succeeded => Problems.Count == 0 && Rollout is { Succeeded: true };
}

public sealed record RuleDifference(int RuleId, ProxySqlQueryRule? Stored, ProxySqlQueryRule? Runtime);

/// <summary>Runtime rules of one node against the stored topology; empty when they agree.</summary>
public sealed record NodeDrift(string Node, IReadOnlyList<RuleDifference> Differences)
{
    public bool Drifted => Differences.Count > 0;
}

/// <summary>
/// Query rule changes as an operator makes them: validate every field → canary rollout → store the topology revision →
/// audit (before → after, per-node outcome). Viewers are refused before anything is read.
/// </summary>
public sealed class QueryRuleOperations(TopologyStore store, AuditLog audit)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public Task<RuleChangeOutcome> AddAsync(RuleTarget target, ProxySqlQueryRule rule, Actor actor, CancellationToken ct = default) =>
        ChangeAsync(target, actor, "add", current => current.Any(r => r.RuleId == rule.RuleId)
            ? Refuse("ruleId", $"Rule id {rule.RuleId} is already used; pick an unused id (rules run in id order).")
            : [.. current, rule], ct);

    public Task<RuleChangeOutcome> UpdateAsync(RuleTarget target, ProxySqlQueryRule rule, Actor actor, CancellationToken ct = default) =>
        ChangeAsync(target, actor, "update", current => current.Any(r => r.RuleId == rule.RuleId)
            ? current.Select(r => r.RuleId == rule.RuleId ? rule : r).ToList()
            : Refuse("ruleId", $"There is no rule {rule.RuleId} to update."), ct);

    public Task<RuleChangeOutcome> DeleteAsync(RuleTarget target, int ruleId, Actor actor, CancellationToken ct = default) =>
        ChangeAsync(target, actor, "delete", current => current.Any(r => r.RuleId == ruleId)
            ? current.Where(r => r.RuleId != ruleId).ToList()
            : Refuse("ruleId", $"There is no rule {ruleId} to delete."), ct);

    /// <summary>Moves a rule one place up or down in evaluation order by swapping rule ids with its neighbour.</summary>
    public Task<RuleChangeOutcome> MoveAsync(RuleTarget target, int ruleId, int direction, Actor actor, CancellationToken ct = default) =>
        ChangeAsync(target, actor, direction < 0 ? "move-up" : "move-down", current =>
        {
            var ordered = current.OrderBy(r => r.RuleId).ToList();
            var i = ordered.FindIndex(r => r.RuleId == ruleId);
            var j = i + Math.Sign(direction);
            if (i < 0) return Refuse("ruleId", $"There is no rule {ruleId} to move.");
            if (j < 0 || j >= ordered.Count) return Refuse("ruleId", $"Rule {ruleId} is already {(direction < 0 ? "first" : "last")}.");
            var (a, b) = (ordered[i], ordered[j]);
            ordered[i] = b with { RuleId = a.RuleId };
            ordered[j] = a with { RuleId = b.RuleId };
            return ordered;
        }, ct);

    /// <summary>Replaces the whole rule set (re-apply stored rules, adopt runtime, bulk edits).</summary>
    public Task<RuleChangeOutcome> ReplaceAsync(RuleTarget target, IReadOnlyList<ProxySqlQueryRule> rules, Actor actor, string action, CancellationToken ct = default) =>
        ChangeAsync(target, actor, action, _ => [.. rules], ct);

    private static List<ProxySqlQueryRule> Refuse(string field, string message) => throw new RuleRefused(new RuleProblem(field, message));

    private sealed class RuleRefused(RuleProblem problem) : Exception(problem.Message)
    {
        public RuleProblem Problem { get; } = problem;
    }

    private async Task<RuleChangeOutcome> ChangeAsync(RuleTarget target, Actor actor, string action,
        Func<IReadOnlyList<ProxySqlQueryRule>, List<ProxySqlQueryRule>> edit, CancellationToken ct)
    {
        actor.EnsureCanChange("change ProxySQL query rules");
        if (target.Nodes.Count == 0) return new([new RuleProblem("nodes", "Name at least one ProxySQL admin endpoint.")]);
        var canary = target.Nodes[0];
        var before = await canary.GetQueryRulesAsync(AdminLayer.Memory, ct).ConfigureAwait(false);
        List<ProxySqlQueryRule> after;
        try { after = edit(before); }
        catch (RuleRefused refused) { return new([refused.Problem], Before: before); }

        var stored = target.TopologyName is { } name ? await store.GetAsync(name, ct: ct).ConfigureAwait(false) : null;
        if (target.TopologyName is not null && stored is null)
            return new([new RuleProblem("topology", $"No stored topology named '{target.TopologyName}'.")], Before: before);
        var hostgroups = await KnownHostgroupsAsync(canary, stored?.Spec, ct).ConfigureAwait(false);
        var problems = Validate(after, hostgroups);
        TopologySpec? newSpec = null;
        // The topology's own checks run once the rules pass ours, so a problem is reported once, with the rule's field.
        if (problems.Count == 0 && stored?.Spec is { SqlRouter: { } router } spec)
        {
            // The read-your-writes rule stands for an option, not a stored rule: it is not written back among queryRules.
            newSpec = spec with { SqlRouter = router with { QueryRules = [.. ReadYourWritesRule.WithoutDerived(spec, after.OrderBy(r => r.RuleId).Select(r => ToSpec(r, router.Hostgroups)))] } };
            problems.AddRange(TopologyValidator.Validate(newSpec).Errors.Select(e => new RuleProblem(e.Path, e.Message)));
        }
        if (problems.Count > 0) return new(problems, Before: before, After: after);

        var rollout = await ProxySqlRollout.RunAsync(target.Nodes, (node, c) => node.ReplaceQueryRulesAsync(after, c), ct).ConfigureAwait(false);
        int? revision = null;
        if (rollout.Succeeded && newSpec is not null)
        {
            var saved = await store.SaveAsync(newSpec, actor, $"query rules: {action}", ct).ConfigureAwait(false);
            revision = saved.Revision?.Number;
        }
        var outcome = string.Join("; ", rollout.Nodes.Select(n => n.ToString()));
        await audit.RecordAsync(actor, $"proxysql.rules.{action}", target.Describe,
            $"{action} query rules ({before.Count} → {after.Count} rules){(revision is { } r ? $", topology revision {r}" : "")}: {outcome}",
            JsonSerializer.Serialize(before, Json), JsonSerializer.Serialize(after, Json), ct).ConfigureAwait(false);
        return new([], rollout, revision, before, after);
    }

    /// <summary>Hostgroups a rule may send to: those with servers or in a replication pair on the canary, and the topology's.</summary>
    public static async Task<IReadOnlySet<int>> KnownHostgroupsAsync(IProxySqlAdmin node, TopologySpec? spec, CancellationToken ct)
    {
        var known = new HashSet<int>();
        foreach (var s in await node.GetServersAsync(AdminLayer.Memory, ct).ConfigureAwait(false)) known.Add(s.HostgroupId);
        foreach (var h in await node.GetReplicationHostgroupsAsync(AdminLayer.Memory, ct).ConfigureAwait(false))
        {
            known.Add(h.WriterHostgroup);
            known.Add(h.ReaderHostgroup);
        }
        if (spec?.SqlRouter is { } router)
        {
            known.Add(router.Hostgroups.Writer);
            known.Add(router.Hostgroups.Reader);
        }
        return known;
    }

    /// <summary>Every problem of a rule set, each with its field (rules[i].field) and how to fix it.</summary>
    public static List<RuleProblem> Validate(IReadOnlyList<ProxySqlQueryRule> rules, IReadOnlySet<int> hostgroups)
    {
        var problems = new List<RuleProblem>();
        var seen = new Dictionary<int, int>();
        for (var i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            var at = $"rules[{i}]";
            if (r.RuleId < 1) problems.Add(new($"{at}.ruleId", $"Rule id {r.RuleId} is not valid; use a positive number."));
            else if (!seen.TryAdd(r.RuleId, i)) problems.Add(new($"{at}.ruleId", $"Rule id {r.RuleId} is already used by rules[{seen[r.RuleId]}]; rule ids must be unique."));
            if (r.MatchDigest is { Length: > 0 } d && QueryRuleEvaluator.RegexProblem(d) is { } dp)
                problems.Add(new($"{at}.matchDigest", $"'{d}' is not a valid regular expression: {dp}"));
            if (r.MatchPattern is { Length: > 0 } p && QueryRuleEvaluator.RegexProblem(p) is { } pp)
                problems.Add(new($"{at}.matchPattern", $"'{p}' is not a valid regular expression: {pp}"));
            if (r.NegateMatchPattern && string.IsNullOrEmpty(r.MatchPattern))
                problems.Add(new($"{at}.negateMatchPattern", "Negating needs a match_pattern; set one or clear the negation."));
            if (r.DestinationHostgroup is { } hg && !hostgroups.Contains(hg))
                problems.Add(new($"{at}.destinationHostgroup", $"Hostgroup {hg} does not exist (known: {string.Join(", ", hostgroups.Order())}); pick one that has servers."));
            if (r.MirrorHostgroup is { } mhg && !hostgroups.Contains(mhg))
                problems.Add(new($"{at}.mirrorHostgroup", $"Hostgroup {mhg} does not exist (known: {string.Join(", ", hostgroups.Order())})."));
            if (r.FlagIn < 0) problems.Add(new($"{at}.flagIn", "flagIN must be 0 or more."));
            if (r.FlagOut is < 0) problems.Add(new($"{at}.flagOut", "flagOUT must be 0 or more, or empty."));
            if (r.FlagOut is { } fo && fo == r.FlagIn && !r.Apply)
                problems.Add(new($"{at}.flagOut", $"flagOUT {fo} equals flagIN without apply; it changes nothing. Use another flag or clear it."));
            if (r.CacheTtl is <= 0) problems.Add(new($"{at}.cacheTtl", "cache_ttl must be more than 0 ms, or empty."));
            if (r.Timeout is < 0) problems.Add(new($"{at}.timeout", "timeout must be 0 or more ms, or empty."));
            if (r.Retries is < 0 or > 1000) problems.Add(new($"{at}.retries", "retries must be between 0 and 1000, or empty."));
            if (r.Multiplex is { } m && m is < 0 or > 2) problems.Add(new($"{at}.multiplex", "multiplex must be 0, 1 or 2, or empty."));
        }
        return problems;
    }

    /// <summary>Per node: runtime rules against the stored topology's rules (compared on the fields a topology holds).</summary>
    public async Task<IReadOnlyList<NodeDrift>> DriftAsync(RuleTarget target, CancellationToken ct = default)
    {
        var stored = await StoredRulesAsync(target, ct).ConfigureAwait(false);
        var drifts = new List<NodeDrift>();
        foreach (var node in target.Nodes)
        {
            var runtime = (await node.GetQueryRulesAsync(AdminLayer.Runtime, ct).ConfigureAwait(false)).Select(Comparable).ToList();
            var ids = stored.Select(r => r.RuleId).Union(runtime.Select(r => r.RuleId)).Order();
            var differences = ids
                .Select(id => new RuleDifference(id, stored.FirstOrDefault(r => r.RuleId == id), runtime.FirstOrDefault(r => r.RuleId == id)))
                .Where(d => d.Stored != d.Runtime).ToList();
            drifts.Add(new NodeDrift(node.Node, differences));
        }
        return drifts;
    }

    /// <summary>Takes the canary's runtime rules as the truth: stored as a topology revision and rolled out to all nodes.</summary>
    public async Task<RuleChangeOutcome> AdoptRuntimeAsync(RuleTarget target, Actor actor, CancellationToken ct = default)
    {
        actor.EnsureCanChange("adopt ProxySQL runtime rules");
        var runtime = await target.Nodes[0].GetQueryRulesAsync(AdminLayer.Runtime, ct).ConfigureAwait(false);
        return await ReplaceAsync(target, runtime, actor, "adopt-runtime", ct).ConfigureAwait(false);
    }

    /// <summary>Puts the stored topology's rules back on every node.</summary>
    public async Task<RuleChangeOutcome> ReapplyStoredAsync(RuleTarget target, Actor actor, CancellationToken ct = default)
    {
        actor.EnsureCanChange("re-apply stored query rules");
        var stored = await StoredRulesAsync(target, ct).ConfigureAwait(false);
        return await ReplaceAsync(target, stored, actor, "reapply-stored", ct).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<ProxySqlQueryRule>> StoredRulesAsync(RuleTarget target, CancellationToken ct)
    {
        if (target.TopologyName is not { } name || await store.GetAsync(name, ct: ct).ConfigureAwait(false) is not { Spec: { SqlRouter: { } router } spec })
            throw new InvalidOperationException($"Drift needs a stored topology with a SQL router; '{target.TopologyName}' has none.");
        return ReadYourWritesRule.EffectiveRules(spec).Select(r => FromSpec(r, router.Hostgroups)).OrderBy(r => r.RuleId).ToList();
    }

    /// <summary>The topology's rule as ProxySQL will hold it.</summary>
    public static ProxySqlQueryRule FromSpec(QueryRuleSpec r, HostgroupSpec hostgroups) => new()
    {
        RuleId = r.Id, Active = r.Active, Username = r.Username, Schemaname = r.Schemaname, FlagIn = r.FlagIn,
        MatchDigest = r.MatchDigest, MatchPattern = r.MatchPattern, NegateMatchPattern = r.NegateMatchPattern, FlagOut = r.FlagOut,
        DestinationHostgroup = r.ResolveDestination(hostgroups), Apply = r.Apply, Comment = r.Comment,
    };

    public static QueryRuleSpec ToSpec(ProxySqlQueryRule r, HostgroupSpec hostgroups) => new()
    {
        Id = r.RuleId, Active = r.Active, Username = r.Username, Schemaname = r.Schemaname, FlagIn = r.FlagIn,
        MatchDigest = r.MatchDigest, MatchPattern = r.MatchPattern, NegateMatchPattern = r.NegateMatchPattern, FlagOut = r.FlagOut,
        Destination = r.DestinationHostgroup switch
        {
            null => null,
            int hg when hg == hostgroups.Writer => "writer",
            int hg when hg == hostgroups.Reader => "reader",
            int hg => hg.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
        Apply = r.Apply, Comment = r.Comment,
    };

    /// <summary>A runtime rule reduced to the fields the topology holds, so drift ignores what the portal does not manage.</summary>
    private static ProxySqlQueryRule Comparable(ProxySqlQueryRule r) => new()
    {
        RuleId = r.RuleId, Active = r.Active, Username = r.Username, Schemaname = r.Schemaname, FlagIn = r.FlagIn,
        MatchDigest = r.MatchDigest, MatchPattern = r.MatchPattern, NegateMatchPattern = r.NegateMatchPattern, FlagOut = r.FlagOut,
        DestinationHostgroup = r.DestinationHostgroup, Apply = r.Apply, Comment = r.Comment,
    };
}
