using System.Collections.Immutable;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Rendering;
using HaPortal.Core.Topology;
using HaPortal.Tests.ProxySql;
using MySqlConnector;
using StackSecrets = HaPortal.Core.Deploy.StackSecrets;

namespace HaPortal.Tests.Deploy;

/// <summary>The router tier of a Docker deploy without an engine: containers, order, plans, and the runtime check against the ProxySQL double.</summary>
public class RouterTierTests
{
    private static readonly DeploySettings Settings = new() { PublishAddress = "127.0.0.1", RouterImage = "proxysql/proxysql:2.6.5" };
    private static readonly StackSecrets Secrets = new("repl-secret", "app-secret", "monitor-secret");

    internal static TopologySpec Spec(int routers = 1, string? vip = null) => TestStacks.Small("t1", 18080, 18404) with
    {
        SqlRouter = new SqlRouterSpec
        {
            Nodes = [.. Enumerable.Range(1, routers).Select(i => new RouterNodeSpec { Name = $"proxysql{i}" })],
            VirtualIp = vip,
            QueryRules =
            [
                new QueryRuleSpec { Id = 100, MatchDigest = "^SELECT .* FOR UPDATE", Destination = "writer", Apply = true },
                new QueryRuleSpec { Id = 200, MatchDigest = "^SELECT", Destination = "reader", Apply = true },
            ],
        },
    };

    private static DesiredStack Build(TopologySpec spec) => DesiredStackBuilder.Build(spec, Settings, Secrets);

    private static DesiredContainer Node(DesiredStack stack, string node) => stack.Containers.Single(c => c.Node == node);

    [Fact]
    public void Build_OneRouter_ProxySqlFromTheRouterImageWithRenderedCnf_WebNodesConnectToItOnTheClientPort()
    {
        var stack = Build(Spec());

        var router = Node(stack, "proxysql1");
        Assert.Equal((DeployTier.Router, "router", "proxysql/proxysql:2.6.5"), (router.Tier, router.RoleLabel, router.Definition.Image));
        var cnf = Assert.Single(router.Files);
        Assert.Equal(RouterStack.ProxySqlCnfPath, cnf.Path);
        Assert.Contains("admin_credentials=\"portal:", cnf.Content);
        Assert.Contains("{ address=\"db1\", port=3306, hostgroup=10", cnf.Content);
        Assert.Equal(0b110_000_000, cnf.Mode);
        Assert.Equal(stack.Network, router.Definition.Network);
        Assert.Equal([], router.SqlAliases!.Value);
        Assert.DoesNotContain(stack.Containers, c => c.Tier == DeployTier.RouterVip);
        Assert.Null(stack.SqlSubnet);

        var web = Node(stack, "web1").Definition.SecretEnvironment;
        Assert.Equal("Server=proxysql1;Port=6033;Database=blog;User ID=app;Password=app-secret", web["ConnectionStrings__App"]);
        Assert.False(web.ContainsKey("ConnectionStrings__AppRead"));
        Assert.Equal(RouterStack.AdminUser, stack.RouterAdmin!.User);
        Assert.DoesNotContain(stack.RouterAdmin.Password, stack.RouterAdmin.ToString());
    }

    [Fact]
    public void Build_TwoRoutersWithVip_KeepalivedInEachRoutersNamespace_SqlNetworkHoldsTheVipOutsideTheContainerRange()
    {
        var stack = Build(Spec(routers: 2, vip: "10.89.7.100"));

        Assert.Equal(new NetworkSubnet("10.89.7.0/24", "10.89.7.128/25", "10.89.7.1"), stack.SqlSubnet);
        foreach (var router in new[] { "proxysql1", "proxysql2" })
        {
            var vip = Node(stack, RouterStack.KeepalivedNode(router));
            Assert.Equal((DeployTier.RouterVip, RouterStack.KeepalivedRoleLabel, "haportal/keepalived:dev"), (vip.Tier, vip.RoleLabel, vip.Definition.Image));
            Assert.Equal($"container:t1-{router}", vip.Definition.NetworkMode);
            Assert.Equal(["NET_ADMIN", "NET_RAW", "NET_BROADCAST"], vip.Definition.CapAdd);
            Assert.Null(vip.SqlAliases);
            var conf = Assert.Single(vip.Files);
            Assert.Contains("10.89.7.100", conf.Content);
            // The interface is found at start: the one holding the sql subnet.
            Assert.Contains("10.89.7.0/24", vip.Definition.Command!.Value);
            Assert.Contains("proxysql_servers=", Node(stack, router).Files[0].Content);
        }
        Assert.Contains("priority 150", Node(stack, "proxysql1-vip").Files[0].Content);
        Assert.Contains("priority 140", Node(stack, "proxysql2-vip").Files[0].Content);
        Assert.StartsWith("Server=10.89.7.100;Port=6033;", Node(stack, "web2").Definition.SecretEnvironment["ConnectionStrings__App"]);
        Assert.Equal(new NetworkSubnet("10.89.7.0/24", "10.89.7.0/25", "10.89.7.1"), Build(Spec(2, "10.89.7.200")).SqlSubnet);
    }

    [Fact]
    public void Build_RouterSecrets_DerivedFromTheStackSecrets_StableAndNotTheReplicationPassword()
    {
        var a = RouterStack.RenderSecrets(Secrets);
        var b = RouterStack.RenderSecrets(new StackSecrets("repl-secret", "other", "other"));
        var c = RouterStack.RenderSecrets(new StackSecrets("another-repl", "app-secret", "monitor-secret"));

        Assert.Equal((a.ProxySqlAdminPassword, a.VrrpPassword), (b.ProxySqlAdminPassword, b.VrrpPassword));
        Assert.NotEqual(a.ProxySqlAdminPassword, c.ProxySqlAdminPassword);
        Assert.Equal(8, a.VrrpPassword.Length);
        Assert.DoesNotContain("repl-secret", a.ProxySqlAdminPassword);
        // The same stack secrets give the same files, so a second plan is empty.
        Assert.Equal(Node(Build(Spec(2, "10.89.7.100")), "proxysql1-vip").ConfigHash, Node(Build(Spec(2, "10.89.7.100")), "proxysql1-vip").ConfigHash);
    }

    [Theory]
    [InlineData("10.89.7.1", "gateway")]
    [InlineData("10.89.7.0", "network")]
    [InlineData("10.89.7.255", "broadcast")]
    public void Unsupported_VirtualIpOnAReservedAddressOfItsSubnet_IsRefused(string vip, string word)
    {
        var problem = Assert.Single(DesiredStackBuilder.Unsupported(Spec(2, vip)));
        Assert.StartsWith("sqlRouter.virtualIp: ", problem);
        Assert.Contains(word, problem);
    }

    [Fact]
    public void Unsupported_RouterTier_IsDeployable_ButNotExportedToCompose_NorToSwarm()
    {
        Assert.Empty(DesiredStackBuilder.Unsupported(Spec()));
        Assert.Empty(DesiredStackBuilder.Unsupported(Spec(2, "10.89.7.100")));
        Assert.StartsWith("sqlRouter: export --compose", Assert.Single(ComposeExport.Unsupported(Spec())));
        Assert.StartsWith("sqlRouter: the Swarm target", Assert.Single(SwarmDeployer.Unsupported(Spec())));
    }

    [Fact]
    public void Plan_NothingDeployed_DatabasesThenRoutersThenKeepalivedThenWebThenLoadBalancer()
    {
        var desired = Build(Spec(2, "10.89.7.100"));

        var plan = DeployPlanner.Plan(desired, ObservedStack.Empty("t1"), desired.Images.ToDictionary(i => i, _ => (string?)"sha256:a"));

        var containers = plan.Steps.Where(s => s.Object == PlanObject.Container).ToList();
        Assert.Equal(["db1", "db2", "proxysql1", "proxysql2", "proxysql1-vip", "proxysql2-vip", "web1", "web2", "lb"], containers.Select(s => s.Node));
        Assert.True(containers.Zip(containers.Skip(1)).All(p => p.First.Group <= p.Second.Group));
        Assert.Single(containers.Where(s => s.Tier == DeployTier.RouterVip).Select(s => s.Group).Distinct());
        Assert.True(containers.Single(s => s.Node == "proxysql1-vip").Group > containers.Single(s => s.Node == "proxysql2").Group);
        Assert.True(containers.Single(s => s.Node == "web1").Group > containers.Single(s => s.Node == "proxysql2-vip").Group);
    }

    [Fact]
    public void Plan_MissingRouterImage_IsPulledBeforeAnythingIsCreated()
    {
        var desired = Build(Spec());
        var images = desired.Images.ToDictionary(i => i, i => i == Settings.RouterImage ? null : (string?)"sha256:a");

        var plan = DeployPlanner.Plan(desired, ObservedStack.Empty("t1"), images);

        // An apply stops at this step, naming the image, when the engine cannot pull it (DeployImagesAndSecretsTests).
        Assert.Equal("pull image proxysql/proxysql:2.6.5 (not on the engine)", plan.Steps[0].ToString());
        Assert.Single(plan.Steps, s => s.Action == PlanAction.Pull);
    }

    [Fact]
    public void Plan_RouterRecreated_RecreatesItsKeepalivedToo_TheOtherPairStays()
    {
        var desired = Build(Spec(2, "10.89.7.100"));
        var observed = Deployed(desired, (c, e) => c.Node == "proxysql1" ? e with { State = "exited" } : e);

        var plan = DeployPlanner.Plan(desired, observed, desired.Images.ToDictionary(i => i, _ => (string?)"sha256:a"));

        Assert.Equal(["recreate container t1-proxysql1 (container is exited)", "recreate container t1-proxysql1-vip (its router container t1-proxysql1 is recreated)"],
            plan.Steps.Select(s => s.ToString()));
        Assert.Equal("t1-proxysql1-vip", plan.Steps[1].ObservedId); // by name: it had no step of its own
        Assert.True(DeployPlanner.Plan(desired, Deployed(desired), desired.Images.ToDictionary(i => i, _ => (string?)"sha256:a")).IsEmpty);
    }

    [Fact]
    public void Plan_SqlNetworkMadeWithAnotherSubnet_IsAProblemNamingBoth()
    {
        var desired = Build(Spec(2, "10.89.7.100"));
        var observed = Deployed(desired);
        observed = observed with { Networks = [observed.Networks[0], observed.Networks[1] with { Subnet = "172.30.0.0/16" }] };

        var plan = DeployPlanner.Plan(desired, observed, desired.Images.ToDictionary(i => i, _ => (string?)"sha256:a"));

        var problem = Assert.Single(plan.Problems);
        Assert.StartsWith("sqlRouter.virtualIp: network haportal-t1-sql exists with subnet 172.30.0.0/16", problem);
        Assert.Contains("10.89.7.0/24", problem);
    }

    [Fact]
    public void PlanDestroy_KeepalivedGoesBeforeItsRouter_RoutersBeforeDatabases()
    {
        var desired = Build(Spec(2, "10.89.7.100"));

        var plan = DeployPlanner.PlanDestroy(Deployed(desired), includeVolumes: false);

        int Group(string node) => plan.Steps.Single(s => s.Node == node && s.Object == PlanObject.Container).Group;
        Assert.True(Group("lb") < Group("web1"));
        Assert.True(Group("web1") < Group("proxysql1-vip"));
        Assert.True(Group("proxysql1-vip") < Group("proxysql1"));
        Assert.True(Group("proxysql1") < Group("db1"));
    }

    [Theory]
    [InlineData("2: eth1    inet 10.89.7.100/32 scope global eth1", true)]
    [InlineData("2: eth1    inet 10.89.7.1000/24 scope global eth1", false)]
    [InlineData("2: eth1    inet 10.89.7.130/24 brd 10.89.7.255 scope global eth1", false)]
    public void HoldsAddress_ReadsIpAddrOutput(string line, bool holds) =>
        Assert.Equal(holds, NodeReadiness.HoldsAddress("1: lo    inet 127.0.0.1/8 scope host lo\n" + line + "\n", "10.89.7.100"));

    [Fact]
    public async Task RuntimeCheck_RenderedAdminStateOnTheDouble_MatchesTheTopology()
    {
        var spec = Spec(2, "10.89.7.100");
        await using var proxysql = ProxySqlAdminDouble.Start();
        await ApplyRenderedAsync(proxysql, spec);

        var differences = await RouterConfiguration.DifferencesAsync(Admin(proxysql), spec, TestContext.Current.CancellationToken);

        Assert.Empty(differences);
    }

    [Fact]
    public async Task RuntimeCheck_EmptyOrDriftedNode_NamesEveryRuntimeTableThatDiffers()
    {
        var spec = Spec(2, "10.89.7.100");
        await using var proxysql = ProxySqlAdminDouble.Start();
        var ct = TestContext.Current.CancellationToken;

        var empty = await RouterConfiguration.DifferencesAsync(Admin(proxysql), spec, ct);
        Assert.Contains(empty, d => d.StartsWith("runtime_mysql_servers: writer hostgroup 10 holds none, not db1", StringComparison.Ordinal));
        Assert.Contains(empty, d => d.StartsWith("runtime_mysql_replication_hostgroups:", StringComparison.Ordinal));
        Assert.Contains(empty, d => d.StartsWith("runtime_mysql_users: no active user 'app'", StringComparison.Ordinal));
        Assert.Contains("runtime_mysql_query_rules: rule 100 is missing.", empty);
        Assert.Contains(empty, d => d.StartsWith("runtime_proxysql_servers:", StringComparison.Ordinal));

        await ApplyRenderedAsync(proxysql, spec);
        proxysql.ExecuteDirect("UPDATE mysql_query_rules SET destination_hostgroup=10 WHERE rule_id=200");
        proxysql.ExecuteDirect("INSERT INTO mysql_servers (hostgroup_id,hostname,port) VALUES (10,'db2',3306)");
        await using (var c = await ConnectAsync(proxysql, ct))
        {
            await new MySqlCommand("LOAD MYSQL QUERY RULES TO RUNTIME", c).ExecuteNonQueryAsync(ct);
            await new MySqlCommand("LOAD MYSQL SERVERS TO RUNTIME", c).ExecuteNonQueryAsync(ct);
        }

        var drifted = await RouterConfiguration.DifferencesAsync(Admin(proxysql), spec, ct);
        Assert.Equal(["runtime_mysql_servers: writer hostgroup 10 holds db1, db2, not db1.", "runtime_mysql_query_rules: rule 200 differs from the topology."], drifted);
    }

    private static Core.ProxySql.ProxySqlAdminClient Admin(ProxySqlAdminDouble proxysql) =>
        new(new Core.ProxySql.ProxySqlEndpoint("127.0.0.1", proxysql.Port, proxysql.User, proxysql.Password), "proxysql1");

    private static async Task<MySqlConnection> ConnectAsync(ProxySqlAdminDouble proxysql, CancellationToken ct)
    {
        var c = new MySqlConnection(new MySqlConnectionStringBuilder
        {
            Server = "127.0.0.1", Port = (uint)proxysql.Port, UserID = proxysql.User, Password = proxysql.Password, Pooling = false,
        }.ConnectionString);
        await c.OpenAsync(ct);
        return c;
    }

    /// <summary>What the rendered proxysql.cnf gives a real node, put in the way the admin statements render it.</summary>
    private static async Task ApplyRenderedAsync(ProxySqlAdminDouble proxysql, TopologySpec spec)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var c = await ConnectAsync(proxysql, ct);
        foreach (var sql in ProxySqlRenderer.RenderAdminSql(spec, RouterStack.RenderSecrets(Secrets)))
            await new MySqlCommand(sql, c).ExecuteNonQueryAsync(ct);
    }

    private static ObservedStack Deployed(DesiredStack desired, Func<DesiredContainer, EngineContainer, EngineContainer>? edit = null) =>
        new(desired.Topology,
            [.. desired.Containers.Select(c =>
            {
                var networks = c.Definition.NetworkMode is not null
                    ? ImmutableDictionary<string, ImmutableArray<string>>.Empty
                    : ImmutableDictionary<string, ImmutableArray<string>>.Empty.Add(desired.Network, [c.Node]);
                if (c.SqlAliases is { } aliases) networks = networks.Add(desired.SqlNetwork, aliases);
                var container = new EngineContainer($"id-{c.Node}", c.Definition.Name, desired.Topology, c.Node,
                    c.RoleLabel, c.Definition.Image, "sha256:a", "running", c.Definition.Labels, networks);
                return edit is null ? container : edit(c, container);
            })],
            [new EngineNetwork("net-id", desired.Network, desired.Topology), new EngineNetwork("sql-net-id", desired.SqlNetwork, desired.Topology, desired.SqlSubnet?.Subnet)],
            [.. desired.Volumes.Select(v => new EngineVolume(v.Name, desired.Topology, v.Node))]);
}
