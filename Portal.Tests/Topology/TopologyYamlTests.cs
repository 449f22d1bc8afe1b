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
}
