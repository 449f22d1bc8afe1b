using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Topology;

public class TopologyDiffTests
{
    private static TopologySpec Seed() => TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!;

    [Fact]
    public void Compare_WeightChange_NamesTheNodeNotItsIndex()
    {
        var before = Seed();
        var after = before with { Web = before.Web with { Nodes = before.Web.Nodes.SetItem(0, before.Web.Nodes[0] with { Weight = 50 }) } };

        var change = Assert.Single(TopologyDiff.Compare(before, after));

        Assert.Equal(new FieldChange("web.nodes[web1].weight", "100", "50"), change);
        Assert.Equal("changed", change.Kind);
    }

    [Fact]
    public void Compare_InsertedNode_ShowsOnlyTheNewNode()
    {
        var before = Seed();
        var after = before with { Web = before.Web with { Nodes = before.Web.Nodes.Insert(0, new WebNodeSpec { Name = "web0" }) } };

        var changes = TopologyDiff.Compare(before, after);

        Assert.Equal(["web.nodes[web0].name", "web.nodes[web0].weight", "web.nodes[web0].state"], changes.Select(c => c.Path));
        Assert.All(changes, c => Assert.Equal("added", c.Kind));
    }

    [Fact]
    public void Compare_RemovedRouter_ListsItsFieldsAsRemoved()
    {
        var before = Seed();

        var changes = TopologyDiff.Compare(before, before with { SqlRouter = null });

        Assert.Contains(changes, c => c.Path == "sqlRouter.queryRules[id 100].matchDigest" && c.Kind == "removed");
        Assert.All(changes, c => Assert.StartsWith("sqlRouter.", c.Path));
    }
}
