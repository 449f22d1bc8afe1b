using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace HaPortal.Security;

/// <summary>
/// HTTP Basic for scripts calling the API (curl -u alice:…). Same users, roles and lockout as the login page;
/// a wrong password counts toward the lockout. Only for /api; browsers use the cookie.
/// </summary>
public sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    UserManager<IdentityUser> users, SignInManager<IdentityUser> signIn)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Basic";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
            || !SchemeName.Equals(header.Scheme, StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
            return AuthenticateResult.NoResult();

        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter)); }
        catch (FormatException) { return AuthenticateResult.Fail("Malformed Basic credentials."); }
        var colon = decoded.IndexOf(':');
        if (colon <= 0) return AuthenticateResult.Fail("Malformed Basic credentials.");

        var user = await users.FindByNameAsync(decoded[..colon]);
        if (user is null) return AuthenticateResult.Fail("Wrong user name or password.");
        var check = await signIn.CheckPasswordSignInAsync(user, decoded[(colon + 1)..], lockoutOnFailure: true);
        if (check.IsLockedOut) return AuthenticateResult.Fail("The account is locked out.");
        if (!check.Succeeded) return AuthenticateResult.Fail("Wrong user name or password.");

        ClaimsPrincipal principal = await signIn.CreateUserPrincipalAsync(user);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Basic realm=\"HaPortal\", charset=\"UTF-8\"";
        return Task.CompletedTask;
    }
}
