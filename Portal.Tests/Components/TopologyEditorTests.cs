using AngleSharp.Dom;
using Bunit;
using HaPortal.Components.Pages.Topologies;
using HaPortal.Core.Security;

namespace HaPortal.Tests.Components;

public sealed class TopologyEditorTests : PortalComponentContext
{
    private async Task<IRenderedComponent<TopologyEditor>> EditSeedAsAsync(string role)
    {
        SignIn("alice", role);
        await SaveSeedAsync();
        var cut = RenderPage<TopologyEditor>(p => p.Add(x => x.Name, "seed-stack"));
        cut.WaitForElement("[data-testid=save-topology]");
        return cut;
    }

    private static IElement Input(IRenderedComponent<TopologyEditor> cut, string testId) => cut.Find($"input[data-testid={testId}]");

    /// <summary>The helper/error line under the input, where MudBlazor shows a field's message.</summary>
    private static string FieldMessage(IRenderedComponent<TopologyEditor> cut, string testId) =>
        Input(cut, testId).Closest(".mud-input-control")?.QuerySelector(".mud-input-helper-text")?.TextContent ?? "";

    private static bool FieldInError(IRenderedComponent<TopologyEditor> cut, string testId) =>
        Input(cut, testId).Closest(".mud-input-control")?.QuerySelector(".mud-input-error") is not null;

    private static bool SaveDisabled(IRenderedComponent<TopologyEditor> cut) =>
        cut.Find("[data-testid=save-topology]").HasAttribute("disabled");

    [Fact]
    public async Task DuplicateNodeName_ShowsErrorOnSecondNodesNameField_AndSaveIsDisabledUntilFixed()
    {
        var cut = await EditSeedAsAsync(Roles.Operator);
        Assert.False(SaveDisabled(cut));

        Input(cut, "web-node-name-1").Input("web1");

        cut.WaitForAssertion(() => Assert.Contains("already used by web.nodes[0].name", FieldMessage(cut, "web-node-name-1")));
        Assert.True(FieldInError(cut, "web-node-name-1"));
        Assert.False(FieldInError(cut, "web-node-name-0"));
        Assert.True(SaveDisabled(cut));
        Assert.Contains(cut.FindAll("[data-testid=summary-error]"), e => e.TextContent.Contains("web.nodes[1].name"));

        Input(cut, "web-node-name-1").Input("web2");

        cut.WaitForAssertion(() => Assert.False(SaveDisabled(cut)));
        Assert.False(FieldInError(cut, "web-node-name-1"));
    }

    [Fact]
    public async Task PublishPortOutOfRange_ShowsErrorOnThePortField_AndBlocksSave()
    {
        var cut = await EditSeedAsAsync(Roles.Operator);

        Input(cut, "lb-publish-port").Input("70000");

        cut.WaitForAssertion(() => Assert.Contains("70000 is out of range", FieldMessage(cut, "lb-publish-port")));
        Assert.True(SaveDisabled(cut));

        Input(cut, "lb-publish-port").Input("8081");

        cut.WaitForAssertion(() => Assert.False(SaveDisabled(cut)));
        Assert.DoesNotContain("out of range", FieldMessage(cut, "lb-publish-port"));
    }

    [Fact]
    public async Task ValidChange_Save_StoresANewRevisionByTheSignedInUser()
    {
        var cut = await EditSeedAsAsync(Roles.Operator);

        Input(cut, "web-node-weight-0").Input("50");
        cut.Find("input[data-testid=save-comment]").Input("drain web1 a little");
        cut.WaitForAssertion(() => Assert.False(SaveDisabled(cut)));
        await cut.Find("[data-testid=save-topology]").ClickAsync(new());

        var saved = await Store.GetAsync("seed-stack", ct: Ct);
        Assert.Equal(2, saved!.Revision.Number);
        Assert.Equal("alice", saved.Revision.Author);
        Assert.Equal("drain web1 a little", saved.Revision.Comment);
        Assert.Equal(50, saved.Spec.Web.Nodes[0].Weight);
    }

    [Fact]
    public async Task Save_KeepsTheFieldsTheFormDoesNotShow()
    {
        SignIn("alice", Roles.Operator);
        var seed = SeedStack();
        var tuned = seed with
        {
            LoadBalancer = seed.LoadBalancer with
            {
                StickySessions = seed.LoadBalancer.StickySessions with { Indirect = false, NoCache = false },
                HealthCheck = seed.LoadBalancer.HealthCheck with { ExpectStatus = 204 },
            },
            Web = seed.Web with
            {
                ReadYourWritesSeconds = 7,
                Nodes = [seed.Web.Nodes[0], seed.Web.Nodes[1] with { State = HaPortal.Core.Topology.WebNodeState.Drain }],
            },
            SqlRouter = seed.SqlRouter! with { ReadFallback = new() { Enabled = true, Weight = 3 } },
            Deploy = new() { Target = HaPortal.Core.Topology.DeployTarget.Swarm },
        };
        Assert.True((await Store.SaveAsync(tuned, new Actor("setup", new HashSet<string> { Roles.Admin }), "tuned", Ct)).Saved);
        var cut = RenderPage<TopologyEditor>(p => p.Add(x => x.Name, "seed-stack"));
        cut.WaitForElement("[data-testid=save-topology]");

        Input(cut, "web-node-weight-0").Input("50");
        cut.WaitForAssertion(() => Assert.False(SaveDisabled(cut)));
        await cut.Find("[data-testid=save-topology]").ClickAsync(new());

        var saved = (await Store.GetAsync("seed-stack", ct: Ct))!;
        Assert.Equal(2, saved.Revision.Number);
        Assert.Equal(50, saved.Spec.Web.Nodes[0].Weight);
        Assert.Equal(HaPortal.Core.Topology.TopologyYaml.Serialize(tuned with { Web = tuned.Web with { Nodes = [tuned.Web.Nodes[0] with { Weight = 50 }, tuned.Web.Nodes[1]] } }),
            HaPortal.Core.Topology.TopologyYaml.Serialize(saved.Spec));
    }

    [Fact]
    public async Task Viewer_SeesReadOnlyFormAndSaveDisabled()
    {
        var cut = await EditSeedAsAsync(Roles.Viewer);

        Assert.True(SaveDisabled(cut));
        Assert.NotNull(cut.Find("[data-testid=read-only-notice]"));
        Assert.True(Input(cut, "web-node-weight-0").HasAttribute("readonly"));
        Assert.True(cut.Find("[data-testid=web-node-add]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task RoutedThroughOneProxySqlWithoutVip_WarnsAmberOnTheRouterSection_ButAllowsSave()
    {
        var cut = await EditSeedAsAsync(Roles.Operator);

        var warning = cut.Find("[data-testid='problem-sqlRouter.nodes']");
        Assert.Contains("single point of failure", warning.TextContent);
        Assert.Contains("mud-alert-text-warning", warning.ClassName);
        Assert.False(SaveDisabled(cut));
    }
}
