using System.Text.RegularExpressions;

namespace HaPortal.Core.ProxySql;

/// <summary>A live digest whose destination a rule change would move.</summary>
public sealed record DigestChange(string DigestText, string Username, string Schemaname, long Count, int Before, int After);

/// <summary>A write (or locking read) that would be routed to a reader hostgroup.</summary>
public sealed record WriteToReaderWarning(string DigestText, long Count, int Hostgroup)
{
    public override string ToString() => $"'{DigestText}' ({Count} seen) is a write or locking read and would go to reader hostgroup {Hostgroup}.";
}

public sealed record DryRunReport(IReadOnlyList<DigestChange> Changes, IReadOnlyList<WriteToReaderWarning> Warnings);

/// <summary>
/// What a rule change does to the traffic seen so far: every live digest (stats_mysql_query_digest) evaluated under
/// the current and the proposed rules. The raw statements are gone by then, so match_pattern is evaluated against the
/// digest text too; a pattern that depends on literal values can differ from live behaviour.
/// </summary>
public static class QueryRuleDryRun
{
    private static readonly Regex WriteStatement = new(
        @"^\s*\(?\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|CREATE|ALTER|DROP|TRUNCATE|RENAME|GRANT|REVOKE|LOCK|UNLOCK|CALL|LOAD\s+DATA|OPTIMIZE|ANALYZE)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex LockingRead = new(@"^\s*\(?\s*SELECT\b.*\b(FOR\s+UPDATE|FOR\s+SHARE|LOCK\s+IN\s+SHARE\s+MODE)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);

    public static bool IsWriteOrLockingRead(string sql) => WriteStatement.IsMatch(sql) || LockingRead.IsMatch(sql);

    /// <param name="defaultHostgroup">The user's default hostgroup (mysql_users.default_hostgroup), usually the writer.</param>
    /// <param name="readerHostgroups">Hostgroups that hold replicas.</param>
    public static DryRunReport Compare(IReadOnlyList<ProxySqlQueryRule> current, IReadOnlyList<ProxySqlQueryRule> proposed,
        IEnumerable<QueryDigestStat> digests, Func<string, int> defaultHostgroup, IReadOnlySet<int> readerHostgroups)
    {
        var changes = new List<DigestChange>();
        var warnings = new List<WriteToReaderWarning>();
        foreach (var d in digests)
        {
            var query = new QueryContext(d.DigestText, d.Username, d.Schemaname);
            var fallback = defaultHostgroup(d.Username);
            var before = QueryRuleEvaluator.Evaluate(current, query, fallback).Hostgroup;
            var after = QueryRuleEvaluator.Evaluate(proposed, query, fallback).Hostgroup;
            if (before != after) changes.Add(new DigestChange(d.DigestText, d.Username, d.Schemaname, d.CountStar, before, after));
            if (readerHostgroups.Contains(after) && IsWriteOrLockingRead(d.DigestText))
                warnings.Add(new WriteToReaderWarning(d.DigestText, d.CountStar, after));
        }
        return new DryRunReport(changes.OrderByDescending(c => c.Count).ToList(), warnings);
    }
}
