using System.Collections.Immutable;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;

namespace HaPortal.Tests.Deploy;

public class SwarmPlannerTests
{
    private static readonly StackSecrets Secrets = new("repl-secret", "app-secret", "monitor-secret");
    private static readonly ImmutableArray<SwarmNode> OneNode = [new("n1", "alpha", Ready: true, Active: true)];
    private static readonly ImmutableArray<SwarmNode> ThreeNodes =
        [new("n1", "alpha", true, true), new("n2", "bravo", true, true), new("n3", "charlie", true, true)];

    private static TopologySpec Spec(int replicas = 1) => TestStacks.Small("shop", 8080, 8404) with
    {
        Deploy = new() { Target = DeployTarget.Swarm },
        Database = new DatabaseSpec
        {
            Primary = new DbNodeSpec { Name = "db1" },
            Replicas = [.. Enumerable.Range(2, replicas).Select(i => new DbNodeSpec { Name = $"db{i}" })],
            AppSchema = "blog",
        },
    };

    private static DesiredStack Desired(TopologySpec spec) => DesiredStackBuilder.Build(spec, new DeploySettings(), Secrets);

    private static Dictionary<string, string?> Images(DesiredStack desired) => desired.Images.ToDictionary(i => i, i => (string?)$"sha256:{i}");

    private static PreparedDeploy Plan(TopologySpec spec, ObservedSwarmStack? observed = null, ImmutableArray<SwarmNode>? nodes = null)
    {
        var desired = Desired(spec);
        return SwarmPlanner.Plan(desired, observed ?? ObservedSwarmStack.Empty(spec.Name), nodes ?? OneNode, Images(desired));
    }

    /// <summary>What the Swarm would report after the prepared deploy ran: every service with its task running.</summary>
    private static ObservedSwarmStack Running(PreparedDeploy prepared) => new(
        prepared.Plan.Topology,
        [.. prepared.Swarm!.Services.Select(s => new EngineService($"id-{s.Name}", s.Name, s.Node, s.Definition.Labels[EngineLabels.Role], 7,
            s.Definition.Labels, s.Definition.Constraints, [.. s.Definition.Configs.Select(c => c.ConfigName)],
            s.Definition.Environment.AddRange(s.Definition.SecretEnvironment).ToImmutableDictionary(), "running"))],
        [.. prepared.Swarm.ConfigNames.Select(n => new EngineConfig($"id-{n}", n, null))],
        [.. prepared.Desired!.Networks.Select(n => new EngineNetwork($"id-{n}", n, prepared.Plan.Topology))],
        []);

    [Fact]
    public void Plan_EmptySwarm_CreatesOverlayNetworksThenOneServicePerNodeInDependencyOrder()
    {
        var prepared = Plan(Spec());

        Assert.Equal(DeployTarget.Swarm, prepared.Plan.Target);
        Assert.True(prepared.Plan.CanApply);
        Assert.Equal(
            ["create network haportal-shop", "create network haportal-shop-sql", "create service shop-db1", "create service shop-db2",
             "create service shop-web1", "create service shop-web2", "create service shop-lb"],
            prepared.Plan.Steps.Select(s => s.ToString()));
        Assert.Equal([DeployTier.Network, DeployTier.Network, DeployTier.Primary, DeployTier.Replicas, DeployTier.Web, DeployTier.Web, DeployTier.LoadBalancer],
            prepared.Plan.Steps.Select(s => (DeployTier)s.Group));
    }

    [Fact]
    public void Services_CarryConfigsAliasesBootstrapAndOnlyTheLoadBalancersPort()
    {
        var services = Plan(Spec()).Swarm!.Services.ToDictionary(s => s.Node, s => s.Definition);

        var lb = services["lb"];
        Assert.Equal([DesiredStackBuilder.HaproxyCfgPath], lb.Configs.Select(c => c.Path));
        // The stats port stays on the overlay network: admin interfaces are never published on every interface.
        Assert.Equal([(8080, 8080)], lb.Ports.Select(p => (p.ContainerPort, p.HostPort)));
        Assert.Equal([("haportal-shop", "lb")], lb.Networks.Select(n => (n.Network, string.Join(",", n.Aliases))));

        var db1 = services["db1"];
        Assert.Equal([DesiredStackBuilder.MyCnfPath, $"{BootstrapSql.InitDirectory}/{ComposeExport.InitFileName}", ComposeExport.PrimaryCnfPath],
            db1.Configs.Select(c => c.Path));
        Assert.Contains("${HAPORTAL_REPL_PASSWORD}", db1.Configs[1].Content);
        Assert.DoesNotContain("repl-secret", string.Concat(db1.Configs.Select(c => c.Content)));
        Assert.Equal(["db1", "db-writer"], db1.Networks.SelectMany(n => n.Aliases));
        Assert.Equal(["shop-db1-data"], db1.Volumes.Select(v => v.Volume));
        Assert.Equal("data", db1.Volumes[0].Labels[EngineLabels.Role]);
        Assert.Contains("MASTER_USE_GTID = slave_pos", services["db2"].Configs[1].Content);
        // Web nodes join the sql network without an alias of their own; replicas answer as db-reader there.
        Assert.Equal([("haportal-shop", "web1"), ("haportal-shop-sql", "")],
            services["web1"].Networks.Select(n => (n.Network, string.Join(",", n.Aliases))));
        Assert.Equal(["db2", "db-reader"], services["db2"].Networks.SelectMany(n => n.Aliases));
        Assert.All(services.Values.SelectMany(s => s.Configs), c => Assert.True(c.ConfigName.Length <= 64, c.ConfigName));
    }

    [Fact]
    public void Place_ThreeSwarmNodes_SpreadsWebNodesAndDatabaseNodesAcrossThem()
    {
        var services = Plan(Spec(replicas: 2), nodes: ThreeNodes).Swarm!.Services.ToDictionary(s => s.Node, s => s.Definition.Constraints);

        Assert.Equal(["node.id==n1"], services["db1"]);
        Assert.Equal(["node.id==n2"], services["db2"]);
        Assert.Equal(["node.id==n3"], services["db3"]);
        Assert.Equal(["node.id==n1"], services["web1"]);
        Assert.Equal(["node.id==n2"], services["web2"]);
        Assert.Empty(services["lb"]);
    }

    [Fact]
    public void Plan_SameStackRunning_PlansNothing()
    {
        var first = Plan(Spec(), nodes: ThreeNodes);

        var again = Plan(Spec(), Running(first), ThreeNodes);

        Assert.True(again.Plan.IsEmpty, string.Join("; ", again.Plan.Steps));
    }

    [Fact]
    public void Plan_SwarmNodeOfAWebNodeDown_MovesTheWebNodeButKeepsTheDatabaseWithItsVolume()
    {
        var first = Plan(Spec(), nodes: ThreeNodes);
        var n2Down = ThreeNodes.SetItem(1, ThreeNodes[1] with { Ready = false });

        var again = Plan(Spec(), Running(first), n2Down);

        var step = Assert.Single(again.Plan.Steps);
        Assert.Equal("update service shop-web2 (placement changed: node.id==n2 → node.id==n3)", step.ToString());
        Assert.Equal("id-shop-web2", step.ObservedId);
        Assert.Equal(["node.id==n2"], again.Swarm!.Services.Single(s => s.Node == "db2").Definition.Constraints);
    }

    [Fact]
    public void Plan_HealthCheckChanged_UpdatesTheLoadBalancerAndRemovesItsOldConfig()
    {
        var first = Plan(Spec());
        var spec = Spec() with { LoadBalancer = Spec().LoadBalancer with { HealthCheck = new HealthCheckSpec { IntervalMs = 3000 } } };

        var again = Plan(spec, Running(first));

        var oldConfig = first.Swarm!.Services.Single(s => s.Node == "lb").Definition.Configs[0].ConfigName;
        Assert.Equal(["update service shop-lb (config changed)", $"remove config {oldConfig} (no service uses it)"],
            again.Plan.Steps.Select(s => s.ToString()));
        Assert.True(again.Plan.Steps[0].Group < again.Plan.Steps[1].Group);
    }

    [Fact]
    public void Plan_RebuiltImageAndStoppedTask_UpdateWithTheirReasons()
    {
        var first = Plan(Spec());
        var observed = Running(first);
        observed = observed with
        {
            Services = [.. observed.Services.Select(s => s.Node == "web1" ? s with { TaskState = "failed" } : s)],
        };
        var desired = Desired(Spec());
        var images = Images(desired);
        images["haportal/mariadb:dev"] = "sha256:rebuilt";

        var again = SwarmPlanner.Plan(desired, observed, OneNode, images);

        Assert.Equal(["update service shop-db1 (image haportal/mariadb:dev was rebuilt)", "update service shop-db2 (image haportal/mariadb:dev was rebuilt)",
            "update service shop-web1 (no running task (failed))"], again.Plan.Steps.Select(s => s.ToString()));
    }

    [Fact]
    public void Plan_NodeRemovedFromTheTopology_RemovesItsServiceAfterTheLoadBalancerIsUpdated()
    {
        var first = Plan(Spec());
        var spec = Spec() with { Web = new WebTierSpec { Nodes = [new WebNodeSpec { Name = "web1" }] } };

        var again = Plan(spec, Running(first));

        Assert.Equal("update service shop-lb (config changed)", again.Plan.Steps[0].ToString());
        Assert.Equal("remove service shop-web2 (not in the topology)", again.Plan.Steps[1].ToString());
        Assert.True(again.Plan.Steps[0].Group < again.Plan.Steps[1].Group);
    }

    [Fact]
    public void Plan_MissingImageOrNoUsableSwarmNode_CannotApplyAndSaysWhy()
    {
        var desired = Desired(Spec());
        var images = Images(desired);
        images["haportal/web:dev"] = null;

        var plan = SwarmPlanner.Plan(desired, ObservedSwarmStack.Empty("shop"), [new("n1", "alpha", Ready: true, Active: false)], images).Plan;

        Assert.False(plan.CanApply);
        Assert.Contains(plan.Problems, p => p.Contains("Image 'haportal/web:dev' is not present"));
        Assert.Contains(plan.Problems, p => p.StartsWith("deploy.target: the Swarm has no ready, active node"));
    }

    [Fact]
    public void PlanDestroy_RemovesServicesLoadBalancerFirstThenConfigsNetworksAndVolumesWhenAsked()
    {
        var observed = Running(Plan(Spec())) with { Volumes = [new EngineVolume("shop-db1-data", "shop", "db1")] };

        var keep = SwarmPlanner.PlanDestroy(observed, includeVolumes: false);
        var all = SwarmPlanner.PlanDestroy(observed, includeVolumes: true);

        Assert.Equal(DeployTarget.Swarm, all.Target);
        Assert.Equal("remove service shop-lb (destroy)", all.Steps[0].ToString());
        Assert.Equal(["lb", "web1", "web2", "db1", "db2"], all.Steps.Where(s => s.Object == PlanObject.Service).Select(s => s.Node));
        Assert.Equal([PlanObject.Service, PlanObject.Config, PlanObject.Network, PlanObject.Volume],
            all.Steps.Select(s => s.Object).Distinct());
        Assert.DoesNotContain(keep.Steps, s => s.Object == PlanObject.Volume);
    }
}
