using Bunit;
using Bunit.TestDoubles;
using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace HaPortal.Tests.Components;

/// <summary>
/// A bunit context with MudBlazor, a real TopologyStore on a temporary SQLite file and a fake signed-in user.
/// Popovers (selects) need a provider rendered beside the component under test.
/// </summary>
public abstract class PortalComponentContext : BunitContext
{
    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), $"haportal-bunit-{Guid.NewGuid():N}.db");

    protected PortalComponentContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddDbContextFactory<PortalDb>(o => o.UseSqlite($"Data Source={_dbPath};Pooling=False"));
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<AuditLog>();
        Services.AddSingleton<TopologyStore>();
        _auth = AddAuthorization();
        using var db = new PortalDb(new DbContextOptionsBuilder<PortalDb>().UseSqlite($"Data Source={_dbPath};Pooling=False").Options);
        db.Database.Migrate();
    }

    private readonly BunitAuthorizationContext _auth;
    private bool _popovers;

    /// <summary>Where dialogs (inline MudDialog or IDialogService) render; find their content here.</summary>
    protected IRenderedComponent<MudDialogProvider> DialogHost { get; private set; } = null!;

    /// <summary>Renders a page next to the popover and dialog providers its selects and dialogs need.</summary>
    protected IRenderedComponent<T> RenderPage<T>(Action<ComponentParameterCollectionBuilder<T>>? parameters = null)
        where T : Microsoft.AspNetCore.Components.IComponent
    {
        if (!_popovers)
        {
            Render<MudPopoverProvider>();
            DialogHost = Render<MudDialogProvider>();
            _popovers = true;
        }
        return Render(parameters);
    }

    protected static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    protected TopologyStore Store => Services.GetRequiredService<TopologyStore>();

    protected void SignIn(string name, string role) => _auth.SetAuthorized(name).SetRoles(role);

    protected static TopologySpec SeedStack() =>
        TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec ?? throw new InvalidOperationException("seed stack does not parse");

    protected async Task SaveSeedAsync() =>
        Assert.True((await Store.SaveAsync(SeedStack(), new Actor("setup", new HashSet<string> { Roles.Admin }), "seed", Ct)).Saved);

    protected override ValueTask DisposeAsyncCore()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { File.Delete(_dbPath); } catch (IOException) { }
        return base.DisposeAsyncCore();
    }
}
