using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace HaPortal.Core.ProxySql;

/// <summary>A statement as ProxySQL's query processor sees it: text, the client's user and schema.</summary>
public sealed record QueryContext(string Sql, string? Username = null, string? Schemaname = null);

/// <summary>One rule the statement met: whether it matched, and why or why not.</summary>
public sealed record RuleStep(int RuleId, bool Matched, string Reason, int FlagIn, int FlagAfter, int? Destination, bool Apply);

/// <summary>Where a statement goes and how the rules got there.</summary>
public sealed record RoutingDecision(string Digest, IReadOnlyList<RuleStep> Steps, int Hostgroup, int? DecidedByRuleId, int FinalFlag)
{
    public IEnumerable<RuleStep> Matched => Steps.Where(s => s.Matched);
}

/// <summary>
/// ProxySQL's query rule semantics (Query_Processor): active rules in rule_id order; a rule is considered only when its
/// flagIN equals the current flag; username/schemaname must equal when set; match_digest is searched in the digest
/// text and match_pattern in the raw statement (re_modifiers CASELESS → case-insensitive), negate_match_pattern
/// inverts match_pattern only. A matching rule sets the flag to its flagOUT (evaluation continues with the following
/// rules), sets the destination when it has one (the last such rule wins), and stops evaluation when apply=1.
/// Nothing matched with a destination: the user's default hostgroup. Regexes run on .NET's engine rather than RE2;
/// the common syntax is the same.
/// </summary>
public static class QueryRuleEvaluator
{
    private static readonly ConcurrentDictionary<(string, bool), Regex> Cache = new();

    public static RoutingDecision Evaluate(IEnumerable<ProxySqlQueryRule> rules, QueryContext query, int defaultHostgroup)
    {
        var digest = QueryDigest.Of(query.Sql);
        var flag = 0;
        int? destination = null;
        int? decidedBy = null;
        var steps = new List<RuleStep>();
        foreach (var rule in rules.Where(r => r.Active).OrderBy(r => r.RuleId))
        {
            if (rule.FlagIn != flag) continue; // not met: rules of another flag are invisible, as in ProxySQL
            var miss = Miss(rule, query, digest);
            if (miss is not null)
            {
                steps.Add(new RuleStep(rule.RuleId, false, miss, flag, flag, rule.DestinationHostgroup, rule.Apply));
                continue;
            }
            var before = flag;
            if (rule.FlagOut is { } flagOut) flag = flagOut;
            if (rule.DestinationHostgroup is { } hg)
            {
                destination = hg;
                decidedBy = rule.RuleId;
            }
            steps.Add(new RuleStep(rule.RuleId, true, Because(rule), before, flag, rule.DestinationHostgroup, rule.Apply));
            if (rule.Apply) break;
        }
        return new RoutingDecision(digest, steps, destination ?? defaultHostgroup, decidedBy, flag);
    }

    private static string? Miss(ProxySqlQueryRule rule, QueryContext query, string digest)
    {
        if (rule.Username is { } user && user != query.Username) return $"username is not '{user}'";
        if (rule.Schemaname is { } schema && schema != query.Schemaname) return $"schemaname is not '{schema}'";
        var caseless = rule.ReModifiers.Contains("CASELESS", StringComparison.OrdinalIgnoreCase);
        if (rule.MatchDigest is { Length: > 0 } d && !Compile(d, caseless).IsMatch(digest)) return $"match_digest '{d}' not found in the digest";
        if (rule.MatchPattern is { Length: > 0 } p)
        {
            var found = Compile(p, caseless).IsMatch(query.Sql);
            if (found == rule.NegateMatchPattern)
                return rule.NegateMatchPattern ? $"match_pattern '{p}' found (negated)" : $"match_pattern '{p}' not found in the statement";
        }
        return null;
    }

    private static string Because(ProxySqlQueryRule rule)
    {
        var parts = new List<string>();
        if (rule.MatchDigest is { Length: > 0 } d) parts.Add($"match_digest '{d}'");
        if (rule.MatchPattern is { Length: > 0 } p) parts.Add(rule.NegateMatchPattern ? $"not match_pattern '{p}'" : $"match_pattern '{p}'");
        if (rule.Username is not null) parts.Add($"username '{rule.Username}'");
        if (rule.Schemaname is not null) parts.Add($"schemaname '{rule.Schemaname}'");
        var outcome = new List<string>();
        if (rule.FlagOut is { } f) outcome.Add($"flag → {f}");
        if (rule.DestinationHostgroup is { } hg) outcome.Add($"hostgroup {hg}");
        if (rule.Apply) outcome.Add("apply: stop");
        return (parts.Count == 0 ? "matches every statement" : "matched " + string.Join(", ", parts))
            + (outcome.Count == 0 ? "" : "; " + string.Join(", ", outcome));
    }

    /// <summary>The compiled regex, or the reason it does not compile (for validation).</summary>
    public static string? RegexProblem(string pattern)
    {
        try
        {
            _ = Compile(pattern, true);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    private static Regex Compile(string pattern, bool caseless) =>
        Cache.GetOrAdd((pattern, caseless), key => new Regex(key.Item1,
            (key.Item2 ? RegexOptions.IgnoreCase : RegexOptions.None) | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(200)));
}
