using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;

namespace HaPortal.Tests.Deploy;

public class DesiredStackTests
{
    private static readonly StackSecrets Secrets = new("repl-secret", "app-secret", "monitor-secret");

    private static TopologySpec Spec(string? sqlRouter = null) => new()
    {
        Name = "t1",
        LoadBalancer = new LoadBalancerSpec { PublishPort = 18080, Stats = new StatsSpec { PublishPort = 18404 } },
        Web = new WebTierSpec { Nodes = [new WebNodeSpec { Name = "web1" }, new WebNodeSpec { Name = "web2", Weight = 50 }] },
        SqlRouter = sqlRouter is null ? null : new SqlRouterSpec { Nodes = [new RouterNodeSpec { Name = sqlRouter }] },
        Database = new DatabaseSpec { Primary = new DbNodeSpec { Name = "db1" }, Replicas = [new DbNodeSpec { Name = "db2" }], AppSchema = "blog" },
    };

    [Fact]
    public void Build_EveryContainer_IsLabelledWithTopologyRoleAndHashes()
    {
        var stack = DesiredStackBuilder.Build(Spec(), new DeploySettings(), Secrets);

        Assert.All(stack.Containers, c =>
        {
            Assert.Equal("t1", c.Definition.Labels[EngineLabels.Topology]);
            Assert.Equal(c.Node, c.Definition.Labels[EngineLabels.Node]);
            Assert.Equal(c.ConfigHash, c.Definition.Labels[EngineLabels.ConfigHash]);
            Assert.Equal(c.SettingsHash, c.Definition.Labels[EngineLabels.SettingsHash]);
        });
        Assert.Equal(["database", "database", "web", "web", "load-balancer"], stack.Containers.Select(c => c.Definition.Labels[EngineLabels.Role]));
    }

    [Fact]
    public void Build_Secrets_OnlyInSecretEnvironment_NeverInLabelsOrFiles()
    {
        var stack = DesiredStackBuilder.Build(Spec(), new DeploySettings(), Secrets);

        var visible = stack.Containers.SelectMany(c =>
            c.Definition.Labels.Values.Concat(c.Definition.Environment.Values).Concat(c.Files.Select(f => f.Content)));
        Assert.DoesNotContain(visible, v => v.Contains("secret"));
        var web = stack.Containers.Single(c => c.Node == "web1");
        Assert.Contains("Password=app-secret", web.Definition.SecretEnvironment["ConnectionStrings__App"]);
        Assert.Equal("repl-secret", stack.Containers.Single(c => c.Node == "db2").Definition.SecretEnvironment[StackSecrets.ReplicationVariable]);
        Assert.Equal("app-secret", stack.Containers.Single(c => c.Node == "db2").Definition.SecretEnvironment[StackSecrets.AppVariable]);
        Assert.Equal("StackSecrets { *** }", Secrets.ToString());
    }

    [Fact]
    public void Build_WebNodes_GetTheirNameAndTheReadYourWritesWindowAsWebNodeSettings()
    {
        var spec = Spec();
        var stack = DesiredStackBuilder.Build(spec with { Web = spec.Web with { ReadYourWritesSeconds = 5 } }, new DeploySettings(), Secrets);

        var env = stack.Containers.Single(c => c.Node == "web2").Definition.Environment;
        Assert.Equal("web2", env["Node__Name"]);
        Assert.Equal("5", env["Blog__ReadYourWritesSeconds"]);
    }

    [Fact]
    public void Build_WithoutRouter_WebNodesWriteToTheWriterAliasAndReadFromTheReaderAlias()
    {
        var stack = DesiredStackBuilder.Build(Spec(), new DeploySettings(), Secrets);

        Assert.Equal("haportal-t1-sql", stack.SqlNetwork);
        Assert.Equal(["haportal-t1", "haportal-t1-sql"], stack.Networks);
        var aliases = stack.Containers.ToDictionary(c => c.Node, c => c.SqlAliases);
        Assert.Equal(["db-writer"], aliases["db1"]!.Value);
        Assert.Equal(["db-reader"], aliases["db2"]!.Value);
        Assert.Empty(aliases["web1"]!.Value);
        Assert.Null(aliases["lb"]);
        var web = stack.Containers.Single(c => c.Node == "web1").Definition.SecretEnvironment;
        Assert.StartsWith("Server=db-writer;Port=3306;Database=blog;", web["ConnectionStrings__App"]);
        Assert.StartsWith("Server=db-reader;Port=3306;Database=blog;", web["ConnectionStrings__AppRead"]);
    }

    [Fact]
    public void Build_NoReplica_PrimaryAlsoAnswersAsReader()
    {
        var spec = Spec() with { Database = Spec().Database with { Replicas = [] } };

        var db1 = DesiredStackBuilder.Build(spec, new DeploySettings(), Secrets).Containers.Single(c => c.Node == "db1");

        Assert.Equal(["db-writer", "db-reader"], db1.SqlAliases!.Value);
    }

    [Fact]
    public void Build_LoadBalancer_PublishesOnTheSettingAddressAndStatsOnLoopbackOnly()
    {
        var lb = DesiredStackBuilder.Build(Spec(), new DeploySettings { PublishAddress = "127.0.0.1" }, Secrets)
            .Containers.Single(c => c.Role == NodeRole.LoadBalancer);

        Assert.Equal([new PublishedPort(18080, "127.0.0.1", 18080), new PublishedPort(18404, "127.0.0.1", 18404)], lb.Definition.Ports);
    }

    [Fact]
    public void Build_HaproxyCfg_HasEveryWebNodeWithItsCookieWeightAndHealthCheck()
    {
        var cfg = DesiredStackBuilder.Build(Spec(), new DeploySettings(), Secrets)
            .Containers.Single(c => c.Role == NodeRole.LoadBalancer).Files.Single().Content;

        Assert.Contains("cookie SERVERID insert indirect nocache", cfg);
        Assert.Contains("option httpchk GET /health", cfg);
        Assert.Contains("server web1 web1:8080 check weight 100 cookie web1", cfg);
        Assert.Contains("server web2 web2:8080 check weight 50 cookie web2", cfg);
    }

    [Fact]
    public void Build_DatabaseFiles_AreTheRenderersWithDistinctServerIdsAndEveryNodeReadOnly()
    {
        var stack = DesiredStackBuilder.Build(Spec(), new DeploySettings(), Secrets);
        var files = stack.Containers.Where(c => c.Role is NodeRole.Primary or NodeRole.Replica)
            .ToDictionary(c => c.Node, c => Assert.Single(c.Files));

        Assert.All(files.Values, f => Assert.Equal(DesiredStackBuilder.MyCnfPath, f.Path));
        Assert.Equal(HaPortal.Core.Rendering.MyCnfRenderer.Render(stack.Spec, "db1"), files["db1"].Content);
        Assert.NotEqual(files["db1"].Content, files["db2"].Content);
        Assert.All(files.Values, f => Assert.Contains("read_only = ON", f.Content));
        Assert.Equal(HaPortal.Core.Rendering.HaproxyRenderer.Render(stack.Spec),
            stack.Containers.Single(c => c.Role == NodeRole.LoadBalancer).Files.Single().Content);
    }

    [Fact]
    public void Build_PrimaryAndReplicaSwapped_DatabaseContainersAreIdentical()
    {
        var spec = Spec();
        var swapped = spec with { Database = spec.Database with { Primary = spec.Database.Replicas[0], Replicas = [spec.Database.Primary!] } };

        var before = DesiredStackBuilder.Build(spec, new DeploySettings(), Secrets).Containers.ToDictionary(c => c.Node);
        var after = DesiredStackBuilder.Build(swapped, new DeploySettings(), Secrets).Containers.ToDictionary(c => c.Node);

        foreach (var node in new[] { "db1", "db2" })
        {
            Assert.Equal(before[node].ConfigHash, after[node].ConfigHash);
            Assert.Equal(before[node].SettingsHash, after[node].SettingsHash);
            Assert.Equal(before[node].Files, after[node].Files);
            Assert.Equal(before[node].Definition.Labels.OrderBy(kv => kv.Key), after[node].Definition.Labels.OrderBy(kv => kv.Key));
            Assert.Equal(before[node].Definition.SecretEnvironment, after[node].Definition.SecretEnvironment);
        }
        // Only the sql-network aliases follow the role.
        Assert.Equal(["db-reader"], after["db1"].SqlAliases!.Value);
        Assert.Equal(["db-writer"], after["db2"].SqlAliases!.Value);
        Assert.All(before.Keys, node => Assert.Equal(before[node].SettingsHash, after[node].SettingsHash));
    }

    [Fact]
    public void Unsupported_RouterTier_IsDeployable()
    {
        Assert.Empty(DesiredStackBuilder.Unsupported(Spec()));
        Assert.Empty(DesiredStackBuilder.Unsupported(Spec(sqlRouter: "proxysql1")));
    }

    [Theory]
    [InlineData("SELECT 1", "SELECT 1")]
    [InlineData("CREATE DATABASE `blog`", "CREATE DATABASE \\`blog\\`")]
    [InlineData("SELECT '$HOME' AS x", "SELECT '\\$HOME' AS x")]
    [InlineData("a\\b", "a\\\\b")]
    public void ShellHeredoc_EscapesWhatTheShellWouldExpand(string sql, string expected) =>
        Assert.Equal(expected, NodeReadiness.ShellHeredoc(sql));

    [Fact]
    public void ParseVertical_ReadsShowSlaveStatus()
    {
        const string output = """
            *************************** 1. row ***************************
                            Slave_IO_State: Waiting for master to send event
                          Slave_IO_Running: Yes
                         Slave_SQL_Running: Yes
                     Seconds_Behind_Master: 0
                             Last_IO_Error: 
            """;

        var status = NodeReadiness.ParseVertical(output);

        Assert.Equal("Yes", status["Slave_IO_Running"]);
        Assert.Equal("0", status["Seconds_Behind_Master"]);
        Assert.Equal("", status["Last_IO_Error"]);
        Assert.Equal("Waiting for master to send event", status["Slave_IO_State"]);
    }
}
