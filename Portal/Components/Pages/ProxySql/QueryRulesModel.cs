using HaPortal.Core.ProxySql;
using HaPortal.Core.Security;

namespace HaPortal.Components.Pages.ProxySql;

/// <summary>A rule being edited: mutable for form binding, turned into the immutable record on save.</summary>
public sealed class RuleForm
{
    public int RuleId { get; set; }
    public bool Active { get; set; } = true;
    public string? Username { get; set; }
    public string? Schemaname { get; set; }
    public int FlagIn { get; set; }
    public string? MatchDigest { get; set; }
    public string? MatchPattern { get; set; }
    public bool NegateMatchPattern { get; set; }
    public int? FlagOut { get; set; }
    public int? DestinationHostgroup { get; set; }
    public bool Apply { get; set; }
    public string? Comment { get; set; }
    public ProxySqlQueryRule Original { get; init; } = new() { RuleId = 0 };

    public static RuleForm From(ProxySqlQueryRule r) => new()
    {
        RuleId = r.RuleId, Active = r.Active, Username = r.Username, Schemaname = r.Schemaname, FlagIn = r.FlagIn, MatchDigest = r.MatchDigest,
        MatchPattern = r.MatchPattern, NegateMatchPattern = r.NegateMatchPattern, FlagOut = r.FlagOut, DestinationHostgroup = r.DestinationHostgroup,
        Apply = r.Apply, Comment = r.Comment, Original = r,
    };

    /// <summary>Keeps the fields the form does not show (cache_ttl, timeout, …) as they were.</summary>
    public ProxySqlQueryRule ToRule() => Original with
    {
        RuleId = RuleId, Active = Active, Username = Blank(Username), Schemaname = Blank(Schemaname), FlagIn = FlagIn, MatchDigest = Blank(MatchDigest),
        MatchPattern = Blank(MatchPattern), NegateMatchPattern = NegateMatchPattern, FlagOut = FlagOut, DestinationHostgroup = DestinationHostgroup,
        Apply = Apply, Comment = Blank(Comment),
    };

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}

/// <summary>
/// State and actions of the query rules page, over the configured ProxySQL nodes (first = canary). Every change goes
/// through <see cref="QueryRuleOperations"/>: validation, canary rollout, topology revision, audit.
/// </summary>
public sealed class QueryRulesModel(IReadOnlyList<IProxySqlAdmin> nodes, string? topology, QueryRuleOperations ops)
{
    private RuleTarget Target => new(nodes, topology);

    public IReadOnlyList<ProxySqlQueryRule> Rules { get; private set; } = [];
    public IReadOnlyDictionary<int, long> Hits { get; private set; } = new Dictionary<int, long>();
    public IReadOnlyList<NodeDrift> Drift { get; private set; } = [];
    public IReadOnlyList<RuleProblem> Problems { get; private set; } = [];
    public string? Outcome { get; private set; }
    public bool OutcomeFailed { get; private set; }
    public bool HasTopology => topology is not null;

    /// <summary>The last change when some nodes took it and others did not: what retry and roll back work on.</summary>
    public RuleChangeOutcome? Partial { get; private set; }

    public async Task LoadAsync(CancellationToken ct = default)
    {
        Rules = await nodes[0].GetQueryRulesAsync(AdminLayer.Memory, ct);
        await RefreshHitsAsync(ct);
        Drift = HasTopology ? await ops.DriftAsync(Target, ct) : [];
    }

    public async Task RefreshHitsAsync(CancellationToken ct = default) =>
        Hits = (await nodes[0].GetRuleHitsAsync(ct)).ToDictionary(h => h.RuleId, h => h.Hits);

    public async Task<RoutingDecision> TestAsync(string sql, string? username, string? schemaname, CancellationToken ct = default)
    {
        var runtime = await nodes[0].GetQueryRulesAsync(AdminLayer.Runtime, ct);
        var users = await nodes[0].GetUsersAsync(AdminLayer.Runtime, ct);
        var fallback = users.FirstOrDefault(u => u.Username == username)?.DefaultHostgroup ?? 0;
        return QueryRuleEvaluator.Evaluate(runtime, new QueryContext(sql, string.IsNullOrWhiteSpace(username) ? null : username, string.IsNullOrWhiteSpace(schemaname) ? null : schemaname), fallback);
    }

    /// <summary>The live digests the edited rule would move, before anything is saved.</summary>
    public async Task<DryRunReport> DryRunAsync(RuleForm form, CancellationToken ct = default)
    {
        var node = nodes[0];
        var proposed = Rules.Where(r => r.RuleId != form.RuleId && r.RuleId != form.Original.RuleId).Append(form.ToRule()).ToList();
        var users = (await node.GetUsersAsync(AdminLayer.Runtime, ct)).GroupBy(u => u.Username).ToDictionary(g => g.Key, g => g.First().DefaultHostgroup);
        var readers = (await node.GetReplicationHostgroupsAsync(AdminLayer.Runtime, ct)).Select(h => h.ReaderHostgroup).ToHashSet();
        return QueryRuleDryRun.Compare(Rules, proposed, await node.GetQueryDigestsAsync(ct), u => users.GetValueOrDefault(u), readers);
    }

    public Task<bool> SaveAsync(RuleForm form, bool isNew, Actor actor, CancellationToken ct = default) =>
        RunAsync(isNew ? ops.AddAsync(Target, form.ToRule(), actor, ct) : ops.UpdateAsync(Target, form.ToRule(), actor, ct), ct);

    public Task<bool> DeleteAsync(int ruleId, Actor actor, CancellationToken ct = default) => RunAsync(ops.DeleteAsync(Target, ruleId, actor, ct), ct);

    public Task<bool> MoveAsync(int ruleId, int direction, Actor actor, CancellationToken ct = default) =>
        RunAsync(ops.MoveAsync(Target, ruleId, direction, actor, ct), ct);

    public Task<bool> ToggleAsync(ProxySqlQueryRule rule, Actor actor, CancellationToken ct = default) =>
        RunAsync(ops.UpdateAsync(Target, rule with { Active = !rule.Active }, actor, ct), ct);

    public Task<bool> AdoptRuntimeAsync(Actor actor, CancellationToken ct = default) => RunAsync(ops.AdoptRuntimeAsync(Target, actor, ct), ct);

    public Task<bool> ReapplyStoredAsync(Actor actor, CancellationToken ct = default) => RunAsync(ops.ReapplyStoredAsync(Target, actor, ct), ct);

    /// <summary>Rolls the rules of a partial change out again to the nodes that did not take them.</summary>
    public Task<bool> RetryAsync(Actor actor, CancellationToken ct = default) =>
        RunAsync(ops.ReplaceAsync(Target with { Nodes = NodesNamed(Partial!.Rollout!.Unfinished) }, Partial.After!, actor, "retry", ct), ct);

    /// <summary>Puts the rules from before a partial change back on the nodes that took it.</summary>
    public Task<bool> RollBackAsync(Actor actor, CancellationToken ct = default) =>
        RunAsync(ops.ReplaceAsync(Target with { Nodes = NodesNamed(Partial!.Rollout!.Nodes.Where(n => n.State == NodeState.Applied).Select(n => n.Node)) },
            Partial.Before!, actor, "roll-back", ct), ct);

    private List<IProxySqlAdmin> NodesNamed(IEnumerable<string> names)
    {
        var wanted = names.ToHashSet();
        return [.. nodes.Where(n => wanted.Contains(n.Node))];
    }

    private async Task<bool> RunAsync(Task<RuleChangeOutcome> change, CancellationToken ct)
    {
        RuleChangeOutcome outcome;
        try { outcome = await change; }
        catch (ForbiddenException e)
        {
            (Problems, Outcome, OutcomeFailed) = ([], e.Message, true);
            return false;
        }
        Problems = outcome.Problems;
        OutcomeFailed = !outcome.Succeeded;
        Partial = outcome is { Rollout: { Succeeded: false } r0, Before: not null, After: not null } && r0.Nodes.Any(n => n.State == NodeState.Applied)
            ? outcome : null;
        Outcome = outcome.Rollout is { } r
            ? string.Join("; ", r.Nodes.Select(n => n.ToString())) + (outcome.Revision is { } rev ? $"; topology revision {rev}" : "")
            : null;
        await LoadAsync(ct);
        return outcome.Succeeded;
    }
}
