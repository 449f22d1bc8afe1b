using Bunit;
using HaPortal.Components.Pages.Topologies;
using HaPortal.Core.Security;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Components;

public sealed class ImportYamlDialogTests : PortalComponentContext
{
    [Fact]
    public async Task BrokenFile_ListsEveryProblemWithItsPath_AndNothingCanBeSaved()
    {
        SignIn("alice", Roles.Operator);
        var broken = (await File.ReadAllTextAsync(RepoPaths.SeedStack, Ct))
            .Replace("publishPort: 8080", "publishPort: 70000")
            .Replace("- name: web2", "- name: web1");
        var imported = new List<string>();
        RenderPage<ImportYamlDialog>(p => p.Add(x => x.Visible, true).Add(x => x.Imported, name => imported.Add(name)));

        DialogHost.Find("textarea[data-testid=import-text]").Input(broken);

        DialogHost.WaitForAssertion(() => Assert.Equal(2, DialogHost.FindAll("[data-testid=summary-error]").Count));
        var errors = string.Join("\n", DialogHost.FindAll("[data-testid=summary-error]").Select(e => e.TextContent));
        Assert.Contains("loadBalancer.publishPort", errors);
        Assert.Contains("web.nodes[1].name", errors);
        Assert.True(DialogHost.Find("[data-testid=import-save]").HasAttribute("disabled"));
        Assert.Empty(await Store.ListAsync(Ct));
        Assert.Empty(imported);
    }

    [Fact]
    public async Task ValidFile_IsSavedAsANewRevisionWithTheComment()
    {
        SignIn("alice", Roles.Operator);
        var imported = new List<string>();
        RenderPage<ImportYamlDialog>(p => p.Add(x => x.Visible, true).Add(x => x.Imported, name => imported.Add(name)));

        DialogHost.Find("textarea[data-testid=import-text]").Input(await File.ReadAllTextAsync(RepoPaths.SeedStack, Ct));
        DialogHost.WaitForElement("[data-testid=import-valid]");
        await DialogHost.Find("[data-testid=import-save]").ClickAsync(new());

        DialogHost.WaitForAssertion(() => Assert.Equal(["seed-stack"], imported));
        var saved = await Store.GetAsync("seed-stack", ct: Ct);
        Assert.Equal("imported from YAML", saved!.Revision.Comment);
    }
}
