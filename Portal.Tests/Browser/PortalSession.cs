using HaPortal.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace HaPortal.Tests.Browser;

/// <summary>What a person does in the portal, as small steps the browser tests share.</summary>
public static class PortalSession
{
    public const string ShotFolder = "/tmp/haportal-shots";

    public static string AdminPassword(PortalProcess portal) =>
        portal.FindInOutput(@"password: (\S+)") ?? throw new InvalidOperationException("No generated admin password in:\n" + portal.Output);

    /// <summary>Submits the login form once; the caller checks where it landed.</summary>
    public static async Task SubmitLoginAsync(IPage page, string user, string password)
    {
        await page.GotoAsync("/login");
        await page.Locator("#username").FillAsync(user);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("button[type=submit]").ClickAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
    }

    public static async Task LogInAsync(IPage page, string user, string password)
    {
        await SubmitLoginAsync(page, user, password);
        await Expect(page.GetByTestId("current-user")).ToHaveTextAsync(user);
        await WaitInteractiveAsync(page);
    }

    /// <summary>Opens a page with a full load and waits until its circuit is connected, so clicks are not lost.</summary>
    public static async Task OpenAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await WaitInteractiveAsync(page);
    }

    public static Task WaitInteractiveAsync(IPage page) =>
        Expect(page.Locator("[data-interactive=true]")).ToBeAttachedAsync();

    public static async Task ShotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ShotFolder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ShotFolder, name + ".png"), FullPage = true });
    }

    public static async Task ImportSeedStackAsync(IPage page)
    {
        await ImportAsync(page, await File.ReadAllTextAsync(RepoPaths.SeedStack), "seed-stack", "03-import-dialog");
        await Expect(page.GetByTestId("topology-diagram")).ToBeVisibleAsync();
    }

    /// <summary>Imports a topology through the dialog on /topologies and waits for its page.</summary>
    public static async Task ImportAsync(IPage page, string yaml, string name, string? shot = null)
    {
        await OpenAsync(page, "/topologies");
        await page.GetByTestId("import-yaml").ClickAsync();
        // A render of the opening dialog that the server computed before the typed text reached it puts the old
        // (empty) value back into the textarea; then the text is typed again.
        for (var attempt = 1; ; attempt++)
        {
            await page.GetByTestId("import-text").FillAsync(yaml);
            try
            {
                await Expect(page.GetByTestId("import-valid")).ToBeVisibleAsync(new() { Timeout = 5_000 });
                break;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
                if (await page.GetByTestId("import-text").InputValueAsync() == yaml) throw;
            }
        }
        if (shot is not null) await ShotAsync(page, shot);
        await page.GetByTestId("import-save").ClickAsync();
        await page.WaitForURLAsync($"**/topologies/{name}");
    }
}
