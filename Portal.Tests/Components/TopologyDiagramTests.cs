using Bunit;
using HaPortal.Components.Shared;
using HaPortal.Core.Topology;

namespace HaPortal.Tests.Components;

public sealed class TopologyDiagramTests : PortalComponentContext
{
    private IRenderedComponent<TopologyDiagram> RenderDiagram(TopologySpec spec) =>
        Render<TopologyDiagram>(p => p.Add(x => x.Spec, spec).Add(x => x.Report, TopologyValidator.Validate(spec)));

    private static string Spof(IRenderedComponent<TopologyDiagram> cut, string node) =>
        cut.Find($"[data-testid=diagram-node][data-node={node}]").GetAttribute("data-spof")!;

    [Fact]
    public void SeedStack_HighlightsTheSingleProxySqlOnly()
    {
        var cut = RenderDiagram(SeedStack());

        Assert.Equal("true", Spof(cut, "proxysql1"));
        Assert.Equal("false", Spof(cut, "web1"));
        Assert.Equal("false", Spof(cut, "web2"));
        Assert.Equal("false", Spof(cut, "db1"));
        Assert.Single(cut.FindAll("rect.diagram-node-spof"));
        Assert.Contains("Single point of failure", cut.Find("[data-testid=diagram-legend]").TextContent);
    }

    [Fact]
    public void OneWebNodeAndNoReplica_HighlightsTheWebNodeAndThePrimary()
    {
        var seed = SeedStack();
        var spec = seed with
        {
            Web = new() { Nodes = [new() { Name = "web1" }] },
            SqlRouter = seed.SqlRouter! with { Nodes = [new() { Name = "proxysql1" }, new() { Name = "proxysql2" }], VirtualIp = "172.20.0.100" },
            Database = seed.Database with { Replicas = [] },
        };

        var cut = RenderDiagram(spec);

        Assert.Equal("true", Spof(cut, "web1"));
        Assert.Equal("true", Spof(cut, "db1"));
        Assert.Equal("false", Spof(cut, "proxysql1"));
        Assert.Contains("VIP 172.20.0.100", cut.Find("[data-testid=diagram-vip]").TextContent);
        Assert.Equal(2, cut.FindAll("[data-testid=spof-warning]").Count);
    }
}
