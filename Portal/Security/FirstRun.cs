using System.Security.Cryptography;
using HaPortal.Core.Audit;
using HaPortal.Core.Security;
using HaPortal.Hosting;
using Microsoft.AspNetCore.Identity;

namespace HaPortal.Security;

/// <summary>
/// There is no default password: on a start with no users, create <c>admin</c> with HAPORTAL_ADMIN_PASSWORD or a
/// random password printed once to the console.
/// </summary>
public sealed partial class FirstRun(IServiceScopeFactory scopes, PortalOptions options, AuditLog audit, ILogger<FirstRun> log)
{
    public async Task EnsureAdminAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role)) await roles.CreateAsync(new IdentityRole(role));
        if (users.Users.Any()) return;

        var fromEnvironment = !string.IsNullOrEmpty(options.AdminPassword);
        var password = fromEnvironment ? options.AdminPassword! : RandomPassword();
        var admin = new IdentityUser("admin");
        var created = await users.CreateAsync(admin, password);
        if (!created.Succeeded)
            throw new InvalidOperationException("Could not create the first admin user: " +
                string.Join(" ", created.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(admin, Roles.Admin);
        await audit.RecordAsync(new Actor("system", new HashSet<string>()), "user.create", "admin", "first start: created admin", ct: ct);

        if (fromEnvironment)
            LogAdminFromEnvironment(log);
        else
            // Printed straight to the console, once, and never logged: logs are kept, consoles are not.
            Console.WriteLine($"""

                ==============================================================
                 HaPortal first start: created user 'admin'
                 password: {password}
                 It is shown only this once. Change it under Users.
                ==============================================================

                """);
    }

    public static string RandomPassword()
    {
        const string alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        // The password policy requires a digit; 16 random characters lack one about 9% of the time, so end with one.
        return "Ha-" + RandomNumberGenerator.GetString(alphabet, 16) + RandomNumberGenerator.GetString("23456789", 1);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created user 'admin' with the password from HAPORTAL_ADMIN_PASSWORD.")]
    private static partial void LogAdminFromEnvironment(ILogger logger);
}
