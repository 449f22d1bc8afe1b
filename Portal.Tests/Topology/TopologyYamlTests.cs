using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Topology;

public class TopologyYamlTests
{
    [Fact]
    public void Parse_SeedStack_ReadsEveryTier()
    {
        var result = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack));

        Assert.True(result.IsValid, string.Join("\n", result.Report.Problems));
        var spec = result.Spec!;
        Assert.Equal("seed-stack", spec.Name);
        Assert.Equal(8080, spec.LoadBalancer.PublishPort);
        Assert.Equal(["web1", "web2"], spec.Web.Nodes.Select(n => n.Name));
        Assert.Equal("proxysql1", Assert.Single(spec.SqlRouter!.Nodes).Name);
        Assert.Equal([100, 200], spec.SqlRouter.QueryRules.Select(r => r.Id));
        Assert.Equal("db1", spec.Database.Primary!.Name);
        Assert.Equal("blog", spec.Database.AppSchema);
    }

    [Fact]
    public void Serialize_ThenParse_RoundTripsTheSeedStack()
    {
        var original = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!;

        var again = TopologyYaml.Parse(TopologyYaml.Serialize(original));

        Assert.True(again.IsValid, string.Join("\n", again.Report.Problems));
        Assert.Equal(original, again.Spec);
        Assert.Empty(TopologyDiff.Compare(original, again.Spec!));
    }

    [Fact]
    public void Serialize_ThenParse_KeepsNodeStatesStickyOptionsAndExpectedStatus()
    {
        var seed = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!;
        var original = seed with
        {
            LoadBalancer = seed.LoadBalancer with
            {
                StickySessions = seed.LoadBalancer.StickySessions with { Mode = StickyMode.Rewrite, Indirect = false, NoCache = false },
                HealthCheck = seed.LoadBalancer.HealthCheck with { ExpectStatus = 204 },
            },
            Web = new WebTierSpec { Nodes = [new WebNodeSpec { Name = "web1", State = WebNodeState.Drain }, new WebNodeSpec { Name = "web2", Weight = 40, State = WebNodeState.Maint }] },
        };

        var text = TopologyYaml.Serialize(original);
        var again = TopologyYaml.Parse(text);

        Assert.Contains("state: drain", text);
        Assert.Contains("expectStatus: 204", text);
        Assert.Equal(original, again.Spec);
        Assert.Equal([new FieldChange("web.nodes[web1].state", "ready", "drain")],
            TopologyDiff.Compare(seed with { Web = original.Web with { Nodes = [seed.Web.Nodes[0], original.Web.Nodes[1]] } }, original with { LoadBalancer = seed.LoadBalancer }));
    }

    [Fact]
    public void AutoFailover_IsOffByDefault_AndRoundTripsWhenSet()
    {
        var seed = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!;
        Assert.False(seed.Database.AutoFailover.Enabled);
        var on = seed with
        {
            Database = seed.Database with { AutoFailover = new() { Enabled = true, Checks = 5, IntervalMs = 250, AntiFlapWindowSeconds = 120 } },
        };

        var yaml = TopologyYaml.Serialize(on);
        var again = TopologyYaml.Parse(yaml);

        Assert.True(again.IsValid, string.Join("\n", again.Report.Problems));
        Assert.Contains("autoFailover:", yaml, StringComparison.Ordinal);
        Assert.Equal(on.Database.AutoFailover, again.Spec!.Database.AutoFailover);
        Assert.Equal(on, again.Spec);
        Assert.NotEmpty(TopologyDiff.Compare(seed, on));
    }

    [Fact]
    public void DeployTarget_IsDockerByDefault_AndSwarmRoundTrips()
    {
        var seed = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!;
        Assert.Equal(DeployTarget.Docker, seed.Deploy.Target);
        var swarm = seed with { Deploy = new DeploySpec { Target = DeployTarget.Swarm } };

        var yaml = TopologyYaml.Serialize(swarm);
        var again = TopologyYaml.Parse(yaml);

        Assert.True(again.IsValid, string.Join("\n", again.Report.Problems));
        Assert.Contains("deploy:\n  target: swarm", yaml.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Equal(swarm, again.Spec);
        Assert.NotEqual(seed, swarm);
        Assert.Contains(TopologyDiff.Compare(seed, swarm), c => c.Path == "deploy.target");
    }

    [Fact]
    public void Validate_TargetOutsideTheKnownOnes_IsAProblemOnDeployTarget()
    {
        var seed = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!;

        var report = TopologyValidator.Validate(seed with { Deploy = new DeploySpec { Target = (DeployTarget)7 } });

        Assert.Contains(report.Errors, e => e.Path == "deploy.target");
    }
}
