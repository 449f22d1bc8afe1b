using System.Collections.Immutable;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;

namespace HaPortal.Tests.Deploy;

public class DeployPlannerTests
{
    private const string ImageId = "sha256:aaaa";
    private static readonly DeploySettings Settings = new() { PublishAddress = "127.0.0.1" };
    private static readonly StackSecrets Secrets = new("repl-secret", "app-secret", "monitor-secret");

    private static TopologySpec Spec(params string[] webNodes) => new()
    {
        Name = "t1",
        LoadBalancer = new LoadBalancerSpec { PublishPort = 18080 },
        Web = new WebTierSpec { Nodes = [.. webNodes.Select(n => new WebNodeSpec { Name = n })] },
        Database = new DatabaseSpec { Primary = new DbNodeSpec { Name = "db1" }, Replicas = [new DbNodeSpec { Name = "db2" }], AppSchema = "blog" },
    };

    private static readonly TopologySpec TwoWebNodes = Spec("web1", "web2");

    private static DesiredStack Desired(TopologySpec spec, StackSecrets? secrets = null) =>
        DesiredStackBuilder.Build(spec, Settings, secrets ?? Secrets);

    private static Dictionary<string, string?> ImagesPresent(DesiredStack desired, string? id = ImageId) =>
        desired.Images.ToDictionary(i => i, _ => id);

    /// <summary>What the engine would report right after a successful apply of <paramref name="desired"/>.</summary>
    private static ObservedStack Deployed(DesiredStack desired, Func<DesiredContainer, EngineContainer, EngineContainer>? edit = null) =>
        new(desired.Topology,
            [.. desired.Containers.Select(c =>
            {
                var networks = ImmutableDictionary<string, ImmutableArray<string>>.Empty.Add(desired.Network, [c.Node, $"id-{c.Node}"]);
                // The engine lists the container's short id among its aliases too.
                if (c.SqlAliases is { } aliases) networks = networks.Add(desired.SqlNetwork, [.. aliases, $"id-{c.Node}"]);
                var container = new EngineContainer($"id-{c.Node}", c.Definition.Name, desired.Topology, c.Node,
                    c.Definition.Labels[EngineLabels.Role], c.Definition.Image, ImageId, "running", c.Definition.Labels, networks);
                return edit is null ? container : edit(c, container);
            })],
            [new EngineNetwork("net-id", desired.Network, desired.Topology), new EngineNetwork("sql-net-id", desired.SqlNetwork, desired.Topology)],
            [.. desired.Volumes.Select(v => new EngineVolume(v.Name, desired.Topology, v.Node))]);

    [Fact]
    public void Plan_NothingDeployed_CreatesNetworkVolumesThenEachTierInDependencyOrder()
    {
        var desired = Desired(TwoWebNodes);

        var plan = DeployPlanner.Plan(desired, ObservedStack.Empty("t1"), ImagesPresent(desired));

        Assert.True(plan.CanApply);
        Assert.Equal(
            [
                "create network haportal-t1", "create network haportal-t1-sql", "create volume t1-db1-data", "create volume t1-db2-data",
                "create container t1-db1", "create container t1-db2", "create container t1-web1", "create container t1-web2",
                "create container t1-lb",
            ],
            plan.Steps.Select(s => s.ToString()));
        // Web nodes share a group (parallel); each tier is its own group, in dependency order.
        Assert.Equal([0, 0, 0, 0, 1, 2, 5, 5, 6], plan.Steps.Select(s => s.Group));
    }

    [Fact]
    public void Plan_EverythingAsDesired_IsEmpty()
    {
        var desired = Desired(TwoWebNodes);

        var plan = DeployPlanner.Plan(desired, Deployed(desired), ImagesPresent(desired));

        Assert.True(plan.IsEmpty);
    }

    public static TheoryData<string, string, string> Changes => new()
    {
        // what changed,            node whose container is recreated, reason given
        { "image rebuilt",          "web1", "image haportal/web:dev was rebuilt" },
        { "image renamed",          "db2",  "image changed: haportal/mariadb:old → haportal/mariadb:dev" },
        { "config edited",          "db1",  "config changed" },
        { "settings edited",        "web2", "settings changed" },
        { "container exited",       "db1",  "container is exited" },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Plan_OneContainerDiffers_RecreatesOnlyItWithTheReason(string change, string node, string reason)
    {
        var desired = Desired(TwoWebNodes);
        var observed = Deployed(desired, (want, have) => want.Node != node ? have : change switch
        {
            "image rebuilt" => have with { ImageId = "sha256:old" },
            "image renamed" => have with { Labels = have.Labels.SetItem(EngineLabels.Image, "haportal/mariadb:old") },
            "config edited" => have with { Labels = have.Labels.SetItem(EngineLabels.ConfigHash, "0000") },
            "settings edited" => have with { Labels = have.Labels.SetItem(EngineLabels.SettingsHash, "0000") },
            _ => have with { State = "exited" },
        });

        var plan = DeployPlanner.Plan(desired, observed, ImagesPresent(desired));

        var step = Assert.Single(plan.Steps);
        Assert.Equal(PlanAction.Recreate, step.Action);
        Assert.Equal(node, step.Node);
        Assert.Equal(reason, step.Reason);
        Assert.Equal($"id-{node}", step.ObservedId);
    }

    [Fact]
    public void Plan_WebNodeDropped_RemovesItAfterTheLoadBalancerIsReconfigured()
    {
        var before = Desired(TwoWebNodes);
        var after = Desired(Spec("web1"));

        var plan = DeployPlanner.Plan(after, Deployed(before), ImagesPresent(after));

        Assert.Equal(["reload container t1-lb (haproxy.cfg changed)", "remove container t1-web2 (not in the topology)"],
            plan.Steps.Select(s => s.ToString()));
        Assert.True(plan.Steps[0].Group < plan.Steps[1].Group);
    }

    [Fact]
    public void Plan_WebNodeAdded_CreatesItThenReloadsTheLoadBalancerInPlace()
    {
        var before = Desired(Spec("web1"));
        var after = Desired(TwoWebNodes);

        var plan = DeployPlanner.Plan(after, Deployed(before), ImagesPresent(after));

        Assert.Equal(["create container t1-web2", "reload container t1-lb (haproxy.cfg changed)"], plan.Steps.Select(s => s.ToString()));
        Assert.Equal("id-lb", plan.Steps[1].ObservedId);
        Assert.True(plan.Steps[0].Group < plan.Steps[1].Group);
    }

    [Fact]
    public void Plan_LoadBalancerConfigChangedButStopped_IsRecreatedNotReloaded()
    {
        var before = Desired(Spec("web1"));
        var after = Desired(TwoWebNodes);
        var observed = Deployed(before, (want, have) => want.Node == "lb" ? have with { State = "exited" } : have);

        var step = DeployPlanner.Plan(after, observed, ImagesPresent(after)).Steps.Single(s => s.Node == "lb");

        Assert.Equal((PlanAction.Recreate, "config changed"), (step.Action, step.Reason));
    }

    [Fact]
    public void Plan_NewSecrets_RecreatesEveryContainerThatCarriesOne_WithoutShowingThem()
    {
        var desired = Desired(TwoWebNodes);
        var rotated = Desired(TwoWebNodes, new StackSecrets("repl-2", "app-2", "monitor-2"));

        var plan = DeployPlanner.Plan(rotated, Deployed(desired), ImagesPresent(rotated));

        Assert.Equal(["db1", "db2", "web1", "web2"], plan.Steps.Select(s => s.Node));
        Assert.All(plan.Steps, s => Assert.Equal("settings changed", s.Reason));
        Assert.DoesNotContain(plan.Steps, s => s.ToString().Contains("app-2") || s.ToString().Contains("repl-2"));
    }

    [Fact]
    public void Plan_WriterAliasOnTheWrongNode_MovesAliasesWithoutRecreatingAnything()
    {
        var desired = Desired(TwoWebNodes);
        // As if the stored topology said db2 is primary while db1 still holds the writer alias (or the reverse).
        var observed = Deployed(desired, (want, have) => want.Node switch
        {
            "db1" => have with { Networks = have.NetworkAliases.SetItem(desired.SqlNetwork, [DesiredStackBuilder.ReaderAlias, "id-db1"]) },
            "db2" => have with { Networks = have.NetworkAliases.SetItem(desired.SqlNetwork, [DesiredStackBuilder.WriterAlias, "id-db2"]) },
            "web2" => have with { Networks = have.NetworkAliases.Remove(desired.SqlNetwork) },
            _ => have,
        });

        var plan = DeployPlanner.Plan(desired, observed, ImagesPresent(desired));

        Assert.Equal(
            [
                "connect container t1-db1 (aliases on haportal-t1-sql: db-reader → db-writer)",
                "connect container t1-db2 (aliases on haportal-t1-sql: db-writer → db-reader)",
                "connect container t1-web2 (join haportal-t1-sql)",
            ],
            plan.Steps.Select(s => s.ToString()));
        Assert.All(plan.Steps, s => Assert.Equal($"id-{s.Node}", s.ObservedId));
    }

    [Fact]
    public void Plan_AfterFailover_StoredTopologyNamesTheNewPrimary_RecreatesNothingAndIsEmptyOnceTheAliasMoved()
    {
        var before = Desired(TwoWebNodes);
        var failedOver = Desired(TwoWebNodes with
        {
            Database = TwoWebNodes.Database with { Primary = TwoWebNodes.Database.Replicas[0], Replicas = [TwoWebNodes.Database.Primary!] },
        });
        var deployed = Deployed(before);

        // Before the routing switch moved the alias: only alias moves, no container recreated.
        var plan = DeployPlanner.Plan(failedOver, deployed, ImagesPresent(failedOver));
        Assert.Equal([PlanAction.Connect, PlanAction.Connect], plan.Steps.Select(s => s.Action));
        Assert.Equal(["db1", "db2"], plan.Steps.Select(s => s.Node).Order());

        // After it (what the routing switch leaves behind): nothing at all.
        var moved = Deployed(before, (want, have) => want.Node switch
        {
            "db1" => have with { Networks = have.NetworkAliases.SetItem(before.SqlNetwork, [DesiredStackBuilder.ReaderAlias, "id-db1"]) },
            "db2" => have with { Networks = have.NetworkAliases.SetItem(before.SqlNetwork, [DesiredStackBuilder.WriterAlias, "id-db2"]) },
            _ => have,
        });
        Assert.True(DeployPlanner.Plan(failedOver, moved, ImagesPresent(failedOver)).IsEmpty);
    }

    [Fact]
    public void Plan_ImageMissing_PullsItFirst_BeforeAnythingIsCreated()
    {
        var desired = Desired(TwoWebNodes);
        var images = ImagesPresent(desired);
        images["haportal/web:dev"] = null;

        var plan = DeployPlanner.Plan(desired, ObservedStack.Empty("t1"), images);

        Assert.True(plan.CanApply);
        var pull = plan.Steps[0];
        Assert.Equal("pull image haportal/web:dev (not on the engine)", pull.ToString());
        Assert.Equal(DeployTier.Images, pull.Tier);
        Assert.Single(plan.Steps, s => s.Action == PlanAction.Pull);
        Assert.All(plan.Steps.Skip(1), s => Assert.True(s.Group > pull.Group));
    }

    [Theory]
    [InlineData(false, new[] { "remove container t1-lb", "remove container t1-web1", "remove container t1-web2", "remove container t1-db1", "remove container t1-db2", "remove network haportal-t1", "remove network haportal-t1-sql" })]
    [InlineData(true, new[] { "remove container t1-lb", "remove container t1-web1", "remove container t1-web2", "remove container t1-db1", "remove container t1-db2", "remove network haportal-t1", "remove network haportal-t1-sql", "remove volume t1-db1-data", "remove volume t1-db2-data" })]
    public void PlanDestroy_RemovesLoadBalancerFirstAndVolumesOnlyWhenAsked(bool volumes, string[] expected)
    {
        var plan = DeployPlanner.PlanDestroy(Deployed(Desired(TwoWebNodes)), volumes);

        Assert.Equal(expected, plan.Steps.Select(s => s.ToString().Split(" (")[0]));
        Assert.Equal(plan.Steps.Select(s => s.Group).Order(), plan.Steps.Select(s => s.Group));
    }
}
