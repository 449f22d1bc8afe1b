using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Topology;

public class TopologyValidatorTests
{
    private static readonly string Seed = File.ReadAllText(RepoPaths.SeedStack);

    /// <summary>The seed stack with one textual edit applied, parsed and validated like an import.</summary>
    private static ValidationReport ValidateEdited(string find, string replace)
    {
        Assert.Contains(find, Seed);
        return TopologyYaml.Parse(Seed.Replace(find, replace)).Report;
    }

    [Fact]
    public void Validate_SeedStack_HasNoErrorsAndWarnsAboutTheSingleRouter()
    {
        var report = TopologyYaml.Parse(Seed).Report;

        Assert.True(report.IsValid);
        var warning = Assert.Single(report.Warnings);
        Assert.Equal("sqlRouter.nodes", warning.Path);
    }

    [Theory]
    [InlineData("- name: web2", "- name: web1", "web.nodes[1].name", "already used by web.nodes[0].name")]
    [InlineData("- name: db2", "- name: proxysql1", "database.replicas[0].name", "already used by sqlRouter.nodes[0].name")]
    [InlineData("- name: web2", "- name: Web_2", "web.nodes[1].name", "not a valid web node name")]
    [InlineData("- name: web2", "- name: ''", "web.nodes[1].name", "needs a name")]
    [InlineData("name: seed-stack", "name: -bad-", "name", "not a valid topology name")]
    [InlineData("name: seed-stack", "name: new", "name", "reserved by the portal")]
    [InlineData("publishPort: 8080", "publishPort: 70000", "loadBalancer.publishPort", "out of range")]
    [InlineData("publishPort: 8404", "publishPort: 8080", "loadBalancer.stats.publishPort", "already used by the load balancer")]
    [InlineData("weight: 100", "weight: 300", "web.nodes[1].weight", "0–256")]
    [InlineData("intervalMs: 2000", "intervalMs: 10", "loadBalancer.healthCheck.intervalMs", "out of range")]
    [InlineData("rise: 2", "rise: 0", "loadBalancer.healthCheck.rise", "out of range")]
    [InlineData("path: /health", "path: health", "loadBalancer.healthCheck.path", "must start with '/'")]
    [InlineData("cookie: SERVERID", "cookie: 'SERVER ID'", "loadBalancer.stickySessions.cookie", "not a valid cookie name")]
    [InlineData("balance: roundrobin", "balance: random", "loadBalancer.balance", "roundrobin | leastconn | source")]
    [InlineData("mode: insert", "mode: sideways", "loadBalancer.stickySessions.mode", "insert | rewrite | prefix")]
    [InlineData("- id: 200", "- id: 100", "sqlRouter.queryRules[1].id", "already used by queryRules[0]")]
    [InlineData("- id: 200", "- id: 0", "sqlRouter.queryRules[1].id", "positive")]
    [InlineData("destination: reader", "destination: analytics", "sqlRouter.queryRules[1].destination", "not a known hostgroup")]
    [InlineData("destination: reader", "destination: '30'", "sqlRouter.queryRules[1].destination", "not a known hostgroup")]
    [InlineData("'^SELECT'", "'^SELECT ('", "sqlRouter.queryRules[1].matchDigest", "does not compile")]
    [InlineData("reader: 20", "reader: 10", "sqlRouter.hostgroups.reader", "must differ")]
    [InlineData("virtualIp: null", "virtualIp: 10.0.0.300", "sqlRouter.virtualIp", "not an IPv4 address")]
    [InlineData("    - name: proxysql1\n", "    - name: proxysql1\n    - name: proxysql2\n", "sqlRouter.virtualIp", "Two or more ProxySQL nodes need a virtual IP")]
    [InlineData("flavor: mariadb", "flavor: postgres", "database.flavor", "mariadb | mysql")]
    [InlineData("appSchema: blog", "appSchema: 'blog; drop'", "database.appSchema", "not a valid schema name")]
    [InlineData("  primary:\n    name: db1\n", "", "database.primary", "A primary is required")]
    [InlineData("  primary:\n    name: db1\n", "  primary:\n    - name: db1\n    - name: db3\n", "database.primary", "Exactly one primary")]
    [InlineData("semiSync: false", "semiSync: maybe", "database.semiSync", "not true or false")]
    [InlineData("    fall: 3", "    fall: 3\n    expectStatus: 700", "loadBalancer.healthCheck.expectStatus", "out of range")]
    [InlineData("      weight: 100", "      weight: 100\n      state: asleep", "web.nodes[1].state", "ready | drain | maint")]
    [InlineData("    mode: insert", "    mode: insert\n    indirect: sometimes", "loadBalancer.stickySessions.indirect", "not true or false")]
    [InlineData("semiSync: false", "semiSync: false\n  autoFailover:\n    checks: 0", "database.autoFailover.checks", "out of range")]
    [InlineData("appSchema: blog", "appSchema: blog\ndeploy:\n  target: kubernetes", "deploy.target", "docker | swarm")]
    [InlineData("appSchema: blog", "appSchema: blog\ndeploy:\n  target: swarm\n  replicas: 3", "deploy.replicas", "Unknown field")]
    [InlineData("semiSync: false", "semiSync: false\n  autoFailover:\n    intervalMs: 5", "database.autoFailover.intervalMs", "out of range")]
    [InlineData("semiSync: false", "semiSync: false\n  autoFailover:\n    antiFlapWindowSeconds: -1", "database.autoFailover.antiFlapWindowSeconds", "out of range")]
    [InlineData("semiSync: false", "semiSync: false\n  autoFailover:\n    enabled: sometimes", "database.autoFailover.enabled", "not true or false")]
    [InlineData("semiSync: false", "semiSync: false\n  autoFailover:\n    enable: true", "database.autoFailover.enable", "Unknown field")]
    [InlineData("  replicas:\n    - name: db2\n", "  replicas: []\n  autoFailover:\n    enabled: true\n", "database.autoFailover.enabled", "needs at least one replica")]
    [InlineData("rise: 2", "rise: two", "loadBalancer.healthCheck.rise", "not a whole number")]
    [InlineData("    rise: 2", "    rise: 2\n    rize: 3", "loadBalancer.healthCheck.rize", "Unknown field")]
    public void Validate_BrokenField_ReportsTheFieldAndHowToFixIt(string find, string replace, string path, string message)
    {
        var report = ValidateEdited(find, replace);

        Assert.False(report.IsValid);
        Assert.Contains(report.Errors, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ManyProblems_ReportsEveryOneAtOnce()
    {
        var broken = Seed.Replace("publishPort: 8080", "publishPort: 0")
            .Replace("- name: web2", "- name: web1")
            .Replace("- id: 200", "- id: 100")
            .Replace("destination: reader", "destination: nowhere");

        var report = TopologyYaml.Parse(broken).Report;

        Assert.Equal(
            ["loadBalancer.publishPort", "sqlRouter.queryRules[1].destination", "sqlRouter.queryRules[1].id", "web.nodes[1].name"],
            report.Errors.Select(e => e.Path).Order());
    }

    [Theory]
    [InlineData("    - name: web2\n      weight: 100\n", "", "web.nodes", "single point of failure")]
    [InlineData("  replicas:\n    - name: db2\n", "  replicas: []\n", "database.replicas", "No replica")]
    public void Validate_SinglePointOfFailure_IsAWarningNotAnError(string find, string replace, string path, string message)
    {
        var report = ValidateEdited(find, replace);

        Assert.True(report.IsValid, string.Join("\n", report.Errors));
        Assert.Contains(report.Warnings, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NoRouter_IsValidAndWebNodesUseThePrimary()
    {
        var start = Seed.IndexOf("sqlRouter:", StringComparison.Ordinal);
        var end = Seed.IndexOf("database:", StringComparison.Ordinal);

        var result = TopologyYaml.Parse(Seed.Remove(start, end - start));

        Assert.True(result.IsValid, string.Join("\n", result.Report.Errors));
        Assert.Null(result.Spec!.SqlRouter);
    }

    [Fact]
    public void Parse_NotYaml_ReportsWhereItBroke()
    {
        var result = TopologyYaml.Parse("name: [unclosed");

        Assert.Null(result.Spec);
        Assert.Matches(@"^line \d+, column \d+$", Assert.Single(result.Report.Errors).Path);
    }
}
