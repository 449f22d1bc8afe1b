namespace HaPortal.Security;

/// <summary>
/// The Blazor Server hub (/_blazor) accepts only logged-in users. Pages are guarded by [Authorize] already;
/// this closes the hub itself, which the login page never needs because it is rendered statically.
/// </summary>
public sealed class HubRequiresLogin(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments("/_blazor") && context.User.Identity?.IsAuthenticated != true)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        }
        return next(context);
    }
}
