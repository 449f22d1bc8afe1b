using HaPortal.Core.Audit;
using HaPortal.Core.Security;
using Microsoft.AspNetCore.Identity;

namespace HaPortal.Security;

public static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // A POST with antiforgery (form from the layout), so a link elsewhere cannot log a user out.
        app.MapPost(Components.Routes.Logout, async (SignInManager<IdentityUser> signIn, HttpContext http, AuditLog audit) =>
        {
            var actor = Actor.From(http.User);
            await signIn.SignOutAsync();
            await audit.RecordAsync(actor, "user.logout", actor.Name, "logged out");
            return Results.LocalRedirect(Components.Routes.Login);
        }).RequireAuthorization();
    }
}
