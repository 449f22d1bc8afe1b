using HaPortal.Core.Audit;
using HaPortal.Core.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace HaPortal.Security;

public sealed record UserRow(string Id, string Name, string Role, bool LockedOut, DateTimeOffset? LockoutEnd, int FailedLogins);

/// <summary>An outcome with the problems by field, for forms, the API and the command line alike.</summary>
public sealed record ChangeResult(IReadOnlyList<(string Field, string Message)> Problems)
{
    public static readonly ChangeResult Ok = new([]);
    public bool Succeeded => Problems.Count == 0;
    public static ChangeResult Fail(string field, string message) => new([(field, message)]);
}

/// <summary>
/// Users and their roles (Admin only), each change audited. Every call reads through a fresh scope: a Blazor
/// circuit lives for hours, and a circuit-scoped UserManager would keep showing the lockouts and roles it first loaded.
/// </summary>
public sealed class UserAdministration(IServiceScopeFactory scopes, AuditLog audit, TimeProvider time)
{
    public async Task<IReadOnlyList<UserRow>> ListAsync(CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var all = await users.Users.OrderBy(u => u.UserName).ToListAsync(ct);
        var rows = new List<UserRow>();
        foreach (var u in all)
        {
            var role = (await users.GetRolesAsync(u)).FirstOrDefault() ?? "";
            var locked = u.LockoutEnd is { } end && end > time.GetUtcNow();
            rows.Add(new(u.Id, u.UserName!, role, locked, u.LockoutEnd, u.AccessFailedCount));
        }
        return rows;
    }

    public async Task<ChangeResult> CreateAsync(Actor actor, string name, string role, string password)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        actor.EnsureAdmin("create users");
        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || !name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.'))
            problems.Add(("name", "Use 1–64 letters, digits, '-', '_' or '.'."));
        else if (await users.FindByNameAsync(name) is not null)
            problems.Add(("name", $"A user named '{name}' already exists."));
        if (!Roles.All.Contains(role)) problems.Add(("role", $"Choose one of {string.Join(", ", Roles.All)}."));
        foreach (var validator in users.PasswordValidators)
        {
            var r = await validator.ValidateAsync(users, new IdentityUser(name), password ?? "");
            problems.AddRange(r.Errors.Select(e => ("password", e.Description)));
        }
        if (problems.Count > 0) return new(problems);

        var user = new IdentityUser(name);
        var created = await users.CreateAsync(user, password!);
        if (!created.Succeeded) return new(created.Errors.Select(e => ("name", e.Description)).ToList());
        await users.AddToRoleAsync(user, role);
        await audit.RecordAsync(actor, "user.create", name, $"created user '{name}' as {role}", after: role);
        return ChangeResult.Ok;
    }

    public async Task<ChangeResult> SetRoleAsync(Actor actor, string name, string role)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        actor.EnsureAdmin("change roles");
        if (!Roles.All.Contains(role)) return ChangeResult.Fail("role", $"Choose one of {string.Join(", ", Roles.All)}.");
        var user = await users.FindByNameAsync(name);
        if (user is null) return ChangeResult.Fail("name", $"No user named '{name}'.");
        var current = await users.GetRolesAsync(user);
        if (current.Contains(Roles.Admin) && role != Roles.Admin && await AdminCountAsync(users) == 1)
            return ChangeResult.Fail("role", "This is the last Admin; make another user Admin first.");
        await users.RemoveFromRolesAsync(user, current);
        await users.AddToRoleAsync(user, role);
        await audit.RecordAsync(actor, "user.role", name, $"changed role of '{name}'", string.Join(",", current), role);
        return ChangeResult.Ok;
    }

    public async Task<ChangeResult> SetPasswordAsync(Actor actor, string name, string password)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        if (!actor.IsAdmin && actor.Name != name)
            throw new ForbiddenException($"{actor.Name} may not change the password of {name}.");
        var user = await users.FindByNameAsync(name);
        if (user is null) return ChangeResult.Fail("name", $"No user named '{name}'.");
        foreach (var validator in users.PasswordValidators)
        {
            var r = await validator.ValidateAsync(users, user, password ?? "");
            if (!r.Succeeded) return new(r.Errors.Select(e => ("password", e.Description)).ToList());
        }
        await users.RemovePasswordAsync(user);
        await users.AddPasswordAsync(user, password!);
        await audit.RecordAsync(actor, "user.password", name, $"changed the password of '{name}'");
        return ChangeResult.Ok;
    }

    public async Task<ChangeResult> UnlockAsync(Actor actor, string name)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        actor.EnsureAdmin("unlock users");
        var user = await users.FindByNameAsync(name);
        if (user is null) return ChangeResult.Fail("name", $"No user named '{name}'.");
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await audit.RecordAsync(actor, "user.unlock", name, $"unlocked '{name}'");
        return ChangeResult.Ok;
    }

    public async Task<ChangeResult> DeleteAsync(Actor actor, string name)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        actor.EnsureAdmin("delete users");
        if (name == actor.Name) return ChangeResult.Fail("name", "You cannot delete yourself.");
        var user = await users.FindByNameAsync(name);
        if (user is null) return ChangeResult.Fail("name", $"No user named '{name}'.");
        var role = (await users.GetRolesAsync(user)).FirstOrDefault();
        if (role == Roles.Admin && await AdminCountAsync(users) == 1)
            return ChangeResult.Fail("name", "This is the last Admin; it cannot be deleted.");
        await users.DeleteAsync(user);
        await audit.RecordAsync(actor, "user.delete", name, $"deleted user '{name}'", role);
        return ChangeResult.Ok;
    }

    private static async Task<int> AdminCountAsync(UserManager<IdentityUser> users) => (await users.GetUsersInRoleAsync(Roles.Admin)).Count;
}
