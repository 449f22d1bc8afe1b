namespace HaPortal.WebNode;

/// <summary>The web-node role: the demo site and /health only; no admin pages, no control-plane database.</summary>
public static class WebNodeHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var app = builder.Build();
        app.MapGet("/health", () => Results.Text("ok"));
        return app;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        await Build(args).RunAsync();
        return 0;
    }
}
