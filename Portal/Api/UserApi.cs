using HaPortal.Core.Security;
using HaPortal.Security;

namespace HaPortal.Api;

public static class UserApi
{
    public sealed record NewUser(string? Name, string? Role, string? Password);
    public sealed record RoleChange(string? Role);
    public sealed record PasswordChange(string? Password);

    public static void MapUserApi(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").RequireAuthorization(Policies.Admin);
        users.MapGet("/", (UserAdministration admin, CancellationToken ct) => admin.ListAsync(ct));
        users.MapPost("/", async (NewUser body, UserAdministration admin, HttpContext http) =>
            Outcome(await admin.CreateAsync(Actor.From(http.User), body.Name ?? "", body.Role ?? "", body.Password ?? "")));
        users.MapPut("/{name}/role", async (string name, RoleChange body, UserAdministration admin, HttpContext http) =>
            Outcome(await admin.SetRoleAsync(Actor.From(http.User), name, body.Role ?? "")));
        users.MapPut("/{name}/password", async (string name, PasswordChange body, UserAdministration admin, HttpContext http) =>
            Outcome(await admin.SetPasswordAsync(Actor.From(http.User), name, body.Password ?? "")));
        users.MapPost("/{name}/unlock", async (string name, UserAdministration admin, HttpContext http) =>
            Outcome(await admin.UnlockAsync(Actor.From(http.User), name)));
        users.MapDelete("/{name}", async (string name, UserAdministration admin, HttpContext http) =>
            Outcome(await admin.DeleteAsync(Actor.From(http.User), name)));
    }

    private static IResult Outcome(ChangeResult result) => result.Succeeded ? Results.NoContent() : ApiProblems.Invalid(result);
}
