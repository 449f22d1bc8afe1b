using System.Security.Claims;

namespace HaPortal.Core.Security;

public static class Roles
{
    public const string Admin = "Admin";
    public const string Operator = "Operator";
    public const string Viewer = "Viewer";

    public static readonly IReadOnlyList<string> All = [Admin, Operator, Viewer];

    /// <summary>Roles allowed to change a topology or the running stack.</summary>
    public const string Changers = Admin + "," + Operator;
}

/// <summary>
/// Who is asking for a change. Services check it themselves, so a Viewer is refused on the server whatever
/// door the request came through, not only by a hidden button.
/// </summary>
public sealed record Actor(string Name, IReadOnlySet<string> Roles)
{
    public bool CanChange => Roles.Contains(Security.Roles.Admin) || Roles.Contains(Security.Roles.Operator);
    public bool IsAdmin => Roles.Contains(Security.Roles.Admin);

    /// <summary>The local command line: whoever can run it can read the database file anyway.</summary>
    public static Actor CommandLine() => new($"cli:{Environment.UserName}", new HashSet<string> { Security.Roles.Admin });

    public static Actor From(ClaimsPrincipal user) =>
        new(user.Identity?.Name ?? "anonymous",
            user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal));

    public void EnsureCanChange(string what)
    {
        if (!CanChange) throw new ForbiddenException($"{Name} may not {what}: the Viewer role can look but not change.");
    }

    public void EnsureAdmin(string what)
    {
        if (!IsAdmin) throw new ForbiddenException($"{Name} may not {what}: only an Admin may.");
    }
}

/// <summary>A change refused because of the actor's role. The API maps it to 403, the UI to a message.</summary>
public sealed class ForbiddenException(string message) : Exception(message);
