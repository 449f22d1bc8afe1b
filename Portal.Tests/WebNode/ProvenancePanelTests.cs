using Bunit;
using HaPortal.Core.Blog;
using HaPortal.WebNode;
using HaPortal.WebNode.Pages;

namespace HaPortal.Tests.WebNode;

public sealed class ProvenancePanelTests : BunitContext
{
    private static readonly DbServer Primary = new("db1", 1, ReadOnly: false);
    private static readonly DbServer Replica = new("db2", 2, ReadOnly: true);

    private IRenderedComponent<ProvenancePanel> RenderPanel(PageProvenance model) =>
        Render<ProvenancePanel>(p => p.Add(x => x.Model, model));

    [Fact]
    public void Render_ReadFromReplica_NamesNodeServerAndReadOnly()
    {
        var panel = RenderPanel(new PageProvenance("web1", "10.0.0.5:8080", Replica, null));

        Assert.Contains("web1", panel.Find("[data-testid=prov-node]").TextContent);
        Assert.Contains("10.0.0.5:8080", panel.Find("[data-testid=prov-node]").TextContent);
        var read = panel.Find("[data-testid=prov-read]").TextContent;
        Assert.Contains("db2", read);
        Assert.Contains("server_id 2", read);
        Assert.Contains("read-only (replica)", read);
        Assert.Contains("none yet", panel.Find("[data-testid=prov-write]").TextContent);
    }

    [Fact]
    public void Render_WriteNotYetOnTheReplica_SaysWhereItWasWrittenAndRead()
    {
        var write = new WriteReceipt(WriteKind.Comment, 42, 7, Primary, Replica, VisibleOnRead: false, DateTimeOffset.UnixEpoch);

        var panel = RenderPanel(new PageProvenance("web2", "10.0.0.6:8080", Primary, write) { LastWriteVisibleHere = true });

        var text = panel.Find("[data-testid=prov-write]").TextContent;
        Assert.Contains("Comment #42 written on db1 (server_id 1), read from db2 (server_id 2), not yet there", text);
        Assert.Equal("not yet there", panel.Find("[data-testid=prov-write] .badge").TextContent);
        Assert.Contains("On this page: visible", panel.Find("[data-testid=prov-visible-here]").TextContent);
        Assert.Contains("writable (primary)", panel.Find("[data-testid=prov-read]").TextContent);
    }

    [Fact]
    public void Render_PageWithoutReads_SaysSoInsteadOfAServer()
    {
        var panel = RenderPanel(new PageProvenance("web1", "127.0.0.1:5000", null, null));

        Assert.Contains("read nothing", panel.Find("[data-testid=prov-read]").TextContent);
    }
}
