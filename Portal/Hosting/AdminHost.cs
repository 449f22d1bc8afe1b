using HaPortal.Api;
using HaPortal.Components;
using HaPortal.Core.Deploy;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Security;
using Microsoft.AspNetCore.Identity;
using MudBlazor.Services;

namespace HaPortal.Hosting;

/// <summary>The admin portal: Blazor Server UI, HTTP API, login, on the SQLite control-plane database.</summary>
public static class AdminHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Serve MudBlazor's and the framework's assets from a build output too (dotnet run), not only after publish.
        builder.WebHost.UseStaticWebAssets();
        var options = builder.Configuration.GetSection(PortalOptions.Section).Get<PortalOptions>() ?? new PortalOptions();
        options.AdminPassword ??= builder.Configuration["HAPORTAL_ADMIN_PASSWORD"];
        builder.Services.AddSingleton(options);
        builder.Services.AddPortalCore(options);
        builder.Services.AddDeploy(builder.Configuration);
        // Automatic failover runs in the admin host only: the command line must never start a second monitor.
        builder.Services.AddHostedService<HaPortal.Core.Replication.FailoverMonitorService>();

        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddAuthentication(IdentityConstants.ApplicationScheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();
        builder.Services.ConfigureApplicationCookie(c =>
        {
            c.LoginPath = Routes.Login;
            c.AccessDeniedPath = Routes.Login;
            c.Cookie.Name = "haportal.auth";
            c.Events.OnRedirectToLogin = ctx => ApiAware(ctx, StatusCodes.Status401Unauthorized);
            c.Events.OnRedirectToAccessDenied = ctx => ApiAware(ctx, StatusCodes.Status403Forbidden);
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.CanChange, p => p.RequireRole(Roles.Admin, Roles.Operator))
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin));
        builder.Services.AddIdentityCore<IdentityUser>(o =>
            {
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.Lockout.AllowedForNewUsers = true;
                o.Password.RequiredLength = 10;
                o.Password.RequireNonAlphanumeric = false;
                o.User.RequireUniqueEmail = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDb>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        builder.Services.AddScoped(sp => sp.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<PortalDb>>().CreateDbContext());
        builder.Services.AddSingleton<FirstRun>();
        builder.Services.AddScoped<UserAdministration>();

        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();

        var app = builder.Build();
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<HubRequiresLogin>();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapGet("/health", () => Results.Text("ok"));
        app.MapAccountEndpoints();
        app.MapPortalApi();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var app = Build(args);
        await CoreServices.MigrateAsync(app.Services);
        await app.Services.GetRequiredService<FirstRun>().EnsureAdminAsync(app.Lifetime.ApplicationStopping);
        await app.RunAsync();
        return 0;
    }

    // API callers get a status code; people in a browser get the login page.
    private static Task ApiAware(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api"))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}
