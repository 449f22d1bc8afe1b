using System.Collections.Immutable;

namespace HaPortal.Core.Topology;

/// <summary>
/// The query rule that read-your-writes needs from the router (web.readYourWritesSeconds above 0): a read the demo app
/// starts with <see cref="Marker"/> goes to the writer hostgroup. It is derived from the option, not stored among the
/// topology's queryRules; it takes rule id 1 so ProxySQL evaluates it before every read rule.
/// </summary>
public static class ReadYourWritesRule
{
    /// <summary>Leading SQL comment the app puts on reads inside the window. ProxySQL's digest drops comments, so the rule matches the raw text.</summary>
    public const string Marker = "/* haportal:rw */";

    public const int RuleId = 1;

    /// <summary>match_pattern: written by hand rather than Regex.Escape, whose "\ " RE2 (ProxySQL's engine) does not accept.</summary>
    public const string Pattern = @"^/\* haportal:rw \*/";

    public static QueryRuleSpec Spec { get; } = new()
    {
        Id = RuleId, MatchPattern = Pattern, Destination = "writer", Apply = true,
        Comment = "read-your-writes: marked reads go to the writer (web.readYourWritesSeconds)",
    };

    public static bool IsOn(TopologySpec spec) => spec.SqlRouter is not null && spec.Web.ReadYourWritesSeconds > 0;

    /// <summary>The rules ProxySQL should hold: the derived rule first when the option is on, then the topology's own.</summary>
    public static ImmutableArray<QueryRuleSpec> EffectiveRules(TopologySpec spec) =>
        spec.SqlRouter is not { } router ? [] : IsOn(spec) ? [Spec, .. router.QueryRules] : router.QueryRules;

    /// <summary>The topology's own rules out of what ProxySQL holds: the derived rule is left out, as the option stands for it.</summary>
    public static IEnumerable<QueryRuleSpec> WithoutDerived(TopologySpec spec, IEnumerable<QueryRuleSpec> rules) =>
        IsOn(spec) ? rules.Where(r => r != Spec) : rules;
}
