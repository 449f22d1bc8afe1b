using HaPortal.Core.Security;
using HaPortal.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace HaPortal.Api;

/// <summary>
/// The HTTP API: everything the forms do, for scripts. Login by cookie (browser) or HTTP Basic (scripts).
/// Invalid input answers 400 with every problem and its field; a Viewer's change answers 403.
/// </summary>
public static class ApiEndpoints
{
    public static void MapPortalApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api")
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = $"{IdentityConstants.ApplicationScheme},{BasicAuthenticationHandler.SchemeName}" })
            .AddEndpointFilter<ForbiddenToProblem>()
            .DisableAntiforgery(); // bodies are YAML/JSON, which a cross-site form cannot send; the auth cookie is SameSite=Lax

        api.MapGet("/me", (HttpContext http) =>
        {
            var actor = Actor.From(http.User);
            return new { name = actor.Name, roles = actor.Roles.Order().ToArray(), canChange = actor.CanChange };
        });
        api.MapTopologyApi();
        api.MapBackendApi();
        api.MapProxySqlApi();
        api.MapReplicationApi();
        api.MapDeployApi();
        api.MapUserApi();
        api.MapAuditApi();
    }

    /// <summary>Turns a role refusal from a service into 403 with the reason.</summary>
    private sealed class ForbiddenToProblem : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            try { return await next(context); }
            catch (ForbiddenException e) { return Results.Problem(e.Message, statusCode: StatusCodes.Status403Forbidden); }
        }
    }
}
