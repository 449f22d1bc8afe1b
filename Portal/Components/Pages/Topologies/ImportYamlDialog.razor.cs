using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace HaPortal.Components.Pages.Topologies;

/// <summary>
/// Import of a topology file, pasted or uploaded: parsed on every change, every problem listed with its path, saved as a
/// new revision only when valid. The store refuses a Viewer on the server; the message is shown here.
/// </summary>
public partial class ImportYamlDialog
{
    [Parameter] public bool Visible { get; set; }
    [Parameter] public EventCallback<bool> VisibleChanged { get; set; }

    /// <summary>Raised with the topology's name after it was saved.</summary>
    [Parameter] public EventCallback<string> Imported { get; set; }

    [Inject] public required TopologyStore Store { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [CascadingParameter] public required Task<AuthenticationState> AuthState { get; set; }

    private const long MaxFileBytes = 1024 * 1024;
    private readonly DialogOptions _options = new() { MaxWidth = MaxWidth.Medium, FullWidth = true, CloseButton = true };
    private string _yaml = "";
    private string _comment = "imported from YAML";
    private TopologyParseResult? _result;
    private bool _exists;
    private bool _saving;
    private string? _error;

    private bool CanSave => !_saving && _result is { Spec: not null, Report.IsValid: true };

    private async Task LoadFileAsync(IBrowserFile? file)
    {
        if (file is null) return;
        try
        {
            using var reader = new StreamReader(file.OpenReadStream(MaxFileBytes));
            await OnYamlChanged(await reader.ReadToEndAsync());
        }
        catch (IOException e)
        {
            _error = $"Could not read {file.Name}: {e.Message}";
        }
    }

    private async Task OnYamlChanged(string? yaml)
    {
        _yaml = yaml ?? "";
        _error = null;
        _result = string.IsNullOrWhiteSpace(_yaml) ? null : TopologyYaml.Parse(_yaml);
        _exists = _result?.Spec is { Name.Length: > 0 } spec && await Store.GetAsync(spec.Name) is not null;
    }

    private async Task SaveAsync()
    {
        if (!CanSave) return;
        _saving = true;
        try
        {
            var outcome = await Store.SaveAsync(_result!.Spec!, Actor.From((await AuthState).User), _comment.Trim());
            if (!outcome.Saved)
            {
                _result = _result with { Report = outcome.Report };
                return;
            }
            Snackbar.Add($"Imported '{_result.Spec!.Name}' as revision {outcome.Revision!.Number}.", MudBlazor.Severity.Success);
            var name = _result.Spec.Name;
            await CloseAsync();
            await Imported.InvokeAsync(name);
        }
        catch (ForbiddenException e)
        {
            _error = e.Message;
        }
        finally
        {
            _saving = false;
        }
    }

    private async Task CloseAsync()
    {
        _yaml = "";
        _result = null;
        _error = null;
        await VisibleChanged.InvokeAsync(false);
    }
}
