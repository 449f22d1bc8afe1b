using HaPortal.Core.ProxySql;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.ProxySql;

public sealed class QueryDigestTests
{
    [Theory]
    [InlineData("INSERT INTO posts(title) VALUES ('hello')", "INSERT INTO posts(title) VALUES (?)")]
    [InlineData("SELECT @@server_id FROM posts WHERE id=42 FOR UPDATE", "SELECT @@server_id FROM posts WHERE id=? FOR UPDATE")]
    [InlineData("SELECT @@server_id,count(*) FROM posts", "SELECT @@server_id,count(*) FROM posts")]
    [InlineData("SELECT  *\n  FROM t1\tWHERE a = -5", "SELECT * FROM t1 WHERE a = ?")]
    [InlineData("SELECT * FROM t WHERE id IN (1, 2, 3, 4, 5)", "SELECT * FROM t WHERE id IN (?,?,?,...)")]
    [InlineData("SELECT * FROM t WHERE id IN (1,2)", "SELECT * FROM t WHERE id IN (?,?)")]
    [InlineData("/* app:home */ SELECT name FROM users WHERE email='a@b.c' -- trailing\n", "SELECT name FROM users WHERE email=?")]
    [InlineData("SELECT 0x1F, 1.5e3, 'it''s'", "SELECT ?,?,?")]
    [InlineData("SELECT 1, 2, 3, \"q\"", "SELECT ?,?,?,...")]
    [InlineData("SELECT a FROM t WHERE b IS NULL LIMIT 10", "SELECT a FROM t WHERE b IS NULL LIMIT ?")]
    [InlineData("INSERT INTO t VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12)", "INSERT INTO t VALUES (?),(?),(?),(?),(?),(?),(?),(?),(?),(?),...")]
    [InlineData("SELECT col1 FROM t2 WHERE x BETWEEN 1 AND 3", "SELECT col1 FROM t2 WHERE x BETWEEN ? AND ?")]
    public void Of_NormalisesLikeProxySql2(string sql, string digest) => Assert.Equal(digest, QueryDigest.Of(sql));

    [Fact]
    public void Of_CapturedDigestTexts_AreFixedPoints()
    {
        // Digest texts ProxySQL 2.7.1 produced (rw-split-stats.txt) digest to themselves: nothing left to normalise.
        var step = AdminTranscript.Parse(File.ReadAllText(Path.Combine(RepoPaths.Shared, "proxysql", "rw-split-stats.txt")))
            .First(s => s.Statement.StartsWith("SELECT * FROM stats_mysql_query_digest", StringComparison.Ordinal));
        var texts = step.Rows!.Select(r => r[Array.IndexOf(step.Columns!, "digest_text")]!).ToList();

        Assert.Equal(5, texts.Count);
        Assert.All(texts, t => Assert.Equal(t, QueryDigest.Of(t)));
    }
}

public sealed class QueryRuleEvaluatorTests
{
    private const int Writer = 10;

    /// <summary>The seed stack's rules (shared/examples/seed-stack.yaml), as ProxySQL holds them.</summary>
    public static readonly ProxySqlQueryRule[] SeedRules =
    [
        new() { RuleId = 100, MatchDigest = "^SELECT .* FOR UPDATE", DestinationHostgroup = 10, Apply = true },
        new() { RuleId = 200, MatchDigest = "^SELECT", DestinationHostgroup = 20, Apply = true },
    ];

    /// <summary>A chained set: flagOUT hands SELECTs to a second stage; a marker comment pins reads to the writer.</summary>
    public static readonly ProxySqlQueryRule[] ChainedRules =
    [
        new() { RuleId = 5, MatchPattern = @"^/\* rw \*/", DestinationHostgroup = 10, Apply = true, Comment = "read-your-writes marker" },
        new() { RuleId = 10, MatchDigest = "^SELECT", FlagOut = 1 },
        new() { RuleId = 20, FlagIn = 1, MatchDigest = "FOR UPDATE$", DestinationHostgroup = 10, Apply = true },
        new() { RuleId = 30, FlagIn = 1, Username = "reporting", DestinationHostgroup = 30, Apply = true },
        new() { RuleId = 40, FlagIn = 1, Schemaname = "archive", DestinationHostgroup = 30, FlagOut = 2 },
        new() { RuleId = 50, FlagIn = 1, DestinationHostgroup = 20, Apply = true },
        new() { RuleId = 60, FlagIn = 2, MatchDigest = @"\bJOIN\b", DestinationHostgroup = 20, Apply = true },
        new() { RuleId = 70, Active = false, DestinationHostgroup = 99, Apply = true },
        new() { RuleId = 80, MatchPattern = "^SELECT", NegateMatchPattern = true, DestinationHostgroup = 11, Apply = true },
    ];

    [Theory]
    [InlineData("SELECT @@server_id,count(*) FROM posts", 20)]
    [InlineData("SELECT @@server_id FROM posts WHERE id=7 FOR UPDATE", 10)]
    [InlineData("select * from posts where id = 3 for update", 10)]
    [InlineData("select title from posts order by id desc limit 10", 20)]
    [InlineData("INSERT INTO posts(title) VALUES ('hello')", 10)]
    [InlineData("UPDATE posts SET title='x' WHERE id=1", 10)]
    [InlineData("DELETE FROM posts WHERE id=1", 10)]
    [InlineData("BEGIN", 10)]
    [InlineData("COMMIT", 10)]
    [InlineData("/* dashboard */ SELECT count(*) FROM comments", 20)]
    [InlineData("SELECT * FROM t WHERE id IN (1,2,3,4,5) FOR UPDATE", 10)]
    [InlineData("(SELECT 1)", 10)] // digest starts with '(' — ^SELECT does not match, the default (writer) takes it
    public void SeedRules_RouteStatement(string sql, int hostgroup) =>
        Assert.Equal(hostgroup, QueryRuleEvaluator.Evaluate(SeedRules, new QueryContext(sql, "app", "blog"), Writer).Hostgroup);

    [Theory]
    [InlineData("/* rw */ SELECT * FROM comments WHERE post_id=7", "app", "blog", 10, new[] { 5 })]
    [InlineData("SELECT * FROM comments WHERE post_id=7", "app", "blog", 20, new[] { 10, 50 })]
    [InlineData("SELECT * FROM posts WHERE id=1 FOR UPDATE", "app", "blog", 10, new[] { 10, 20 })]
    [InlineData("SELECT count(*) FROM posts", "reporting", "blog", 30, new[] { 10, 30 })]
    [InlineData("SELECT * FROM posts_2019", "app", "archive", 30, new[] { 10, 40 })]
    [InlineData("SELECT * FROM a JOIN b ON a.id=b.id", "app", "archive", 20, new[] { 10, 40, 60 })]
    [InlineData("INSERT INTO comments(body) VALUES ('hi')", "app", "blog", 11, new[] { 80 })]
    [InlineData("DELETE FROM comments WHERE id=3", "app", "blog", 11, new[] { 80 })]
    public void ChainedRules_FollowFlagsApplyAndFilters(string sql, string user, string schema, int hostgroup, int[] matched)
    {
        var decision = QueryRuleEvaluator.Evaluate(ChainedRules, new QueryContext(sql, user, schema), Writer);

        Assert.Equal(hostgroup, decision.Hostgroup);
        Assert.Equal(matched, decision.Matched.Select(s => s.RuleId));
        Assert.DoesNotContain(decision.Steps, s => s.RuleId == 70);
    }

    [Fact]
    public void Evaluate_NoRuleMatches_UserDefaultHostgroupAndTraceSaysWhy()
    {
        var decision = QueryRuleEvaluator.Evaluate(SeedRules, new QueryContext("INSERT INTO t VALUES (1)"), 10);

        Assert.Equal((10, (int?)null), (decision.Hostgroup, decision.DecidedByRuleId));
        Assert.Equal("INSERT INTO t VALUES (?)", decision.Digest);
        Assert.All(decision.Steps, s => Assert.Contains("not found in the digest", s.Reason));
        Assert.Equal([100, 200], decision.Steps.Select(s => s.RuleId));
    }

    [Fact]
    public void Evaluate_CaseSensitiveModifiers_NoLongerMatchLowercase()
    {
        ProxySqlQueryRule[] rules = [SeedRules[1] with { ReModifiers = "" }];

        Assert.Equal(10, QueryRuleEvaluator.Evaluate(rules, new QueryContext("select 1"), 10).Hostgroup);
        Assert.Equal(20, QueryRuleEvaluator.Evaluate(rules, new QueryContext("SELECT 1"), 10).Hostgroup);
    }

    [Fact]
    public void RegexProblem_BrokenPattern_Explained() =>
        Assert.NotNull(QueryRuleEvaluator.RegexProblem("^SELECT (unclosed"));
}

public sealed class QueryRuleDryRunTests
{
    private static IReadOnlyList<QueryDigestStat> CapturedDigests()
    {
        var step = AdminTranscript.Parse(File.ReadAllText(Path.Combine(RepoPaths.Shared, "proxysql", "rw-split-stats.txt")))
            .First(s => s.Statement.StartsWith("SELECT * FROM stats_mysql_query_digest", StringComparison.Ordinal));
        string Col(string?[] row, string name) => row[Array.IndexOf(step.Columns!, name)]!;
        return step.Rows!.Select(r => new QueryDigestStat(int.Parse(Col(r, "hostgroup")), Col(r, "schemaname"), Col(r, "username"), Col(r, "digest"),
            Col(r, "digest_text"), long.Parse(Col(r, "count_star")), 0, 0, 0, 0, 0, 0, 0)).ToList();
    }

    [Fact]
    public void SeedRules_ReproduceCapturedRouting()
    {
        // Every captured digest went where the seed rules send it (20 for plain SELECTs, 10 for the rest).
        foreach (var d in CapturedDigests())
            Assert.Equal(d.Hostgroup, QueryRuleEvaluator.Evaluate(QueryRuleEvaluatorTests.SeedRules, new QueryContext(d.DigestText, d.Username, d.Schemaname), 10).Hostgroup);
    }

    [Fact]
    public void DroppingForUpdateRule_MovesLockingReadToReader_AndWarns()
    {
        var report = QueryRuleDryRun.Compare(QueryRuleEvaluatorTests.SeedRules, [QueryRuleEvaluatorTests.SeedRules[1]], CapturedDigests(), _ => 10, new HashSet<int> { 20 });

        var change = Assert.Single(report.Changes);
        Assert.Equal(("SELECT @@server_id FROM posts WHERE id=? FOR UPDATE", 1L, 10, 20), (change.DigestText, change.Count, change.Before, change.After));
        var warning = Assert.Single(report.Warnings);
        Assert.Equal(20, warning.Hostgroup);
    }

    [Fact]
    public void RuleSendingInsertsToReader_ListsTwentyInsertsAndWarns()
    {
        ProxySqlQueryRule[] proposed = [new() { RuleId = 50, MatchDigest = "^INSERT", DestinationHostgroup = 20, Apply = true }, .. QueryRuleEvaluatorTests.SeedRules];

        var report = QueryRuleDryRun.Compare(QueryRuleEvaluatorTests.SeedRules, proposed, CapturedDigests(), _ => 10, new HashSet<int> { 20 });

        Assert.Equal([("INSERT INTO posts(title) VALUES (?)", 20L)], report.Changes.Select(c => (c.DigestText, c.Count)));
        Assert.Equal(["INSERT INTO posts(title) VALUES (?)"], report.Warnings.Select(w => w.DigestText));
    }

    [Fact]
    public void UnchangedRules_NoChangesNoWarnings()
    {
        var report = QueryRuleDryRun.Compare(QueryRuleEvaluatorTests.SeedRules, QueryRuleEvaluatorTests.SeedRules, CapturedDigests(), _ => 10, new HashSet<int> { 20 });

        Assert.Empty(report.Changes);
        Assert.Empty(report.Warnings);
    }

    [Theory]
    [InlineData("INSERT INTO t VALUES (?)", true)]
    [InlineData("replace into t values (?)", true)]
    [InlineData("SELECT a FROM t WHERE id=? FOR UPDATE", true)]
    [InlineData("SELECT a FROM t LOCK IN SHARE MODE", true)]
    [InlineData("SELECT a FROM t", false)]
    [InlineData("SELECT update_count FROM t", false)]
    public void IsWriteOrLockingRead(string sql, bool write) => Assert.Equal(write, QueryRuleDryRun.IsWriteOrLockingRead(sql));
}
