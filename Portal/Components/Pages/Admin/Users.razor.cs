using HaPortal.Core.Security;
using HaPortal.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaPortal.Components.Pages.Admin;

/// <summary>User management (Admin only): create, change role, reset password, unlock, delete. Every change is audited by the service.</summary>
public partial class Users
{
    [Inject] public required UserAdministration Admin { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [CascadingParameter] public required Task<AuthenticationState> AuthState { get; set; }

    private readonly List<BreadcrumbItem> _crumbs = [new("Users", null, disabled: true)];
    private readonly DialogOptions _dialogOptions = new() { MaxWidth = MaxWidth.ExtraSmall, FullWidth = true };
    private IReadOnlyList<UserRow>? _users;
    private NewUser _new = new();
    private ChangeResult _createResult = ChangeResult.Ok;
    private Actor? _actor;
    private string? _me;
    private bool _busy;

    private bool _passwordOpen;
    private string? _passwordFor;
    private string _newPassword = "";
    private string? _passwordError;

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await AuthState).User);
        _me = _actor.Name;
        await ReloadAsync();
    }

    private async Task ReloadAsync() => _users = await Admin.ListAsync();

    private string? ErrorOf(string field)
    {
        var messages = _createResult.Problems.Where(p => p.Field == field).Select(p => p.Message).ToList();
        return messages.Count == 0 ? null : string.Join(" ", messages);
    }

    private async Task CreateAsync()
    {
        _busy = true;
        try
        {
            _createResult = await Admin.CreateAsync(_actor!, _new.Name.Trim(), _new.Role, _new.Password);
            if (!_createResult.Succeeded) return;
            Snackbar.Add($"Created {_new.Name} as {_new.Role}.", MudBlazor.Severity.Success);
            _new = new();
            await ReloadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task SetRoleAsync(UserRow user, string role) =>
        await Report(await Admin.SetRoleAsync(_actor!, user.Name, role), $"{user.Name} is now {role}.");

    private async Task UnlockAsync(UserRow user) =>
        await Report(await Admin.UnlockAsync(_actor!, user.Name), $"Unlocked {user.Name}.");

    private async Task DeleteAsync(UserRow user)
    {
        var sure = await Dialogs.ShowMessageBoxAsync("Delete user", $"Delete the user '{user.Name}'? They can no longer log in.",
            yesText: "Delete", cancelText: "Cancel");
        if (sure == true) await Report(await Admin.DeleteAsync(_actor!, user.Name), $"Deleted {user.Name}.");
    }

    private void OpenPassword(UserRow user)
    {
        _passwordFor = user.Name;
        _newPassword = "";
        _passwordError = null;
        _passwordOpen = true;
    }

    private async Task ResetPasswordAsync()
    {
        var result = await Admin.SetPasswordAsync(_actor!, _passwordFor!, _newPassword);
        if (!result.Succeeded)
        {
            _passwordError = string.Join(" ", result.Problems.Select(p => p.Message));
            return;
        }
        _passwordOpen = false;
        Snackbar.Add($"Set a new password for {_passwordFor}.", MudBlazor.Severity.Success);
    }

    private async Task Report(ChangeResult result, string success)
    {
        if (result.Succeeded) Snackbar.Add(success, MudBlazor.Severity.Success);
        else Snackbar.Add(string.Join(" ", result.Problems.Select(p => p.Message)), MudBlazor.Severity.Error);
        await ReloadAsync();
    }

    private sealed class NewUser
    {
        public string Name { get; set; } = "";
        public string Role { get; set; } = Roles.Viewer;
        public string Password { get; set; } = "";
    }
}
