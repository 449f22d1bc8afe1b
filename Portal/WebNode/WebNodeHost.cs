using HaPortal.Core.Blog;
using Microsoft.AspNetCore.Antiforgery;

namespace HaPortal.WebNode;

/// <summary>The web-node role: the demo site, /health and static assets only; no admin pages, no control-plane database.</summary>
public static class WebNodeHost
{
    public static WebApplication Build(string[] args)
    {
        // Slim: HTTP only, console logging only; a web node boots beside its databases on every apply, and what it does
        // not need (HTTPS and QUIC set-up, hosting startup assemblies, the debug and event-source loggers) is CPU that
        // many nodes booting at once take from each other (ADR 0014).
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.WebHost.UseStaticWebAssets();

        var write = builder.Configuration.GetConnectionString("App");
        if (string.IsNullOrWhiteSpace(write))
            throw new InvalidOperationException("The web node needs its database endpoint: set ConnectionStrings:App (environment ConnectionStrings__App).");
        builder.Services.AddSingleton(new BlogConnections(write, builder.Configuration.GetConnectionString("AppRead")));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TransientRetry>();
        builder.Services.AddSingleton<IBlogStore, BlogStore>();
        builder.Services.AddSingleton(sp => new ReadYourWrites(sp.GetRequiredService<TimeProvider>(),
            TimeSpan.FromSeconds(builder.Configuration.GetValue(ReadYourWrites.SettingKey, 0))));
        builder.Services.AddSingleton<NodeIdentity>();
        builder.Services.AddSingleton<SchemaInitializer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SchemaInitializer>());

        builder.Services.AddDistributedMemoryCache();
        builder.Services.AddSession(o =>
        {
            o.Cookie.Name = VisitorSession.CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.IsEssential = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.IdleTimeout = TimeSpan.FromMinutes(30);
        });
        builder.Services.AddAntiforgery(o => o.Cookie.Name = VisitorSession.AntiforgeryCookieName);
        builder.Services.AddRazorComponents();

        var app = builder.Build();
        // No stack traces for the public: an unexpected failure is a plain 500.
        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler(error => error.Run(ctx => Results.Text("Something went wrong on this web node.", statusCode: 500).ExecuteAsync(ctx)));
        // Only the demo's own files, straight from wwwroot: the Portal's static-asset manifest (MudBlazor, Blazor's
        // script) is the admin portal's, and reading it and routing its endpoints was boot time of every web node.
        app.UseWhen(http => http.Request.Path.StartsWithSegments(DemoUrls.Assets), demo => demo.UseStaticFiles());
        app.UseSession();
        app.UseAntiforgery();
        // The form endpoints are generated at build time, and generated code reads the form without looking at the
        // antiforgery verdict (it throws: a 500). Refuse a failed token here, as endpoints built at run time do: 400.
        app.Use((http, next) => http.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false }
            ? Results.BadRequest().ExecuteAsync(http)
            : next(http));
        app.MapGet(DemoUrls.Health, HealthAsync);
        app.MapDemoSite();

        var node = app.Services.GetRequiredService<NodeIdentity>();
        WebNodeLog.Starting(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("HaPortal.WebNode"), node.Name,
            app.Services.GetRequiredService<BlogConnections>().Schema);
        return app;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        await Build(args).RunAsync();
        return 0;
    }

    // HAProxy's check: 200 when the schema is in place and SELECT 1 answers within 2 s; 503 with a reason (no secrets) otherwise.
    private static async Task<IResult> HealthAsync(IBlogStore store, SchemaInitializer schema, ILogger<SchemaInitializer> logger, CancellationToken aborted)
    {
        if (!schema.Ready.IsCompleted)
        {
            // Somebody wants to send traffic here: try the database now rather than after the backoff.
            schema.RetryNow();
            return Results.Text("schema not ready yet: the database has not answered since start", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await store.PingAsync(timeout.Token);
            return Results.Text("ok");
        }
        catch (Exception e) when (e is not OperationCanceledException || !aborted.IsCancellationRequested)
        {
            var reason = e is OperationCanceledException ? "the database did not answer within 2 s" : TransientRetry.Describe(e);
            WebNodeLog.HealthFailed(logger, reason);
            return Results.Text(reason, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
