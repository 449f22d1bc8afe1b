using HaPortal.Components.Shared;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaPortal.Components.Pages.Topologies;

/// <summary>
/// Edits a topology as a form per tier. The validator runs on every change and each message is shown on its field;
/// Save stays disabled while any error remains. The store checks the role again, so a Viewer is refused on the server too.
/// </summary>
public partial class TopologyEditor
{
    [Parameter] public string? Name { get; set; }
    [Inject] public required TopologyStore Store { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [CascadingParameter] public required Task<AuthenticationState> AuthState { get; set; }

    private TopologyDraft? _draft;
    private TopologySpec? _spec;
    private ProblemIndex _problems = new(ValidationReport.Empty);
    private string _comment = "";
    private string? _loadError;
    private bool _canChange;
    private bool _saving;
    private Actor? _actor;
    private string? _loadedFor;

    private bool IsNew => Name is null;
    private bool IsRenamed => !IsNew && _draft is not null && _draft.Name.Trim() != Name;
    private ProblemIndex P => _problems;
    private bool CanSave => _canChange && !_saving && _problems.Report.IsValid;

    private List<BreadcrumbItem> Crumbs => IsNew
        ? [new("Topologies", Routes.Topologies), new("New", null, disabled: true)]
        : [new("Topologies", Routes.Topologies), new(Name!, Routes.Topology(Name!)), new("Edit", null, disabled: true)];

    protected override async Task OnParametersSetAsync()
    {
        // Parameters are set again whenever the layout re-renders (e.g. the dark mode toggle); keep the user's edits then.
        if (_draft is not null && _loadedFor == (Name ?? "")) return;
        _loadedFor = Name ?? "";
        _actor = Actor.From((await AuthState).User);
        _canChange = _actor.CanChange;
        if (IsNew)
        {
            _draft = TopologyDraft.NewDefault();
        }
        else
        {
            var stored = await Store.GetAsync(Name!);
            if (stored is null)
            {
                _loadError = $"There is no topology named '{Name}'.";
                return;
            }
            _draft = TopologyDraft.FromSpec(stored.Spec);
        }
        Revalidate();
    }

    private void Revalidate()
    {
        _spec = _draft!.ToSpec();
        _problems = new ProblemIndex(TopologyValidator.Validate(_spec));
    }

    private int? Badge(string prefix) => _problems.ErrorsUnder(prefix) is > 0 and var n ? n : null;

    private async Task SaveAsync()
    {
        if (!CanSave) return;
        _saving = true;
        try
        {
            var spec = _draft!.ToSpec();
            if ((IsNew || IsRenamed) && await Store.GetAsync(spec.Name) is not null)
            {
                Snackbar.Add($"A topology named '{spec.Name}' already exists; pick another name.", MudBlazor.Severity.Error);
                return;
            }
            var outcome = await Store.SaveAsync(spec, _actor!, _comment.Trim());
            if (!outcome.Saved)
            {
                _problems = new ProblemIndex(outcome.Report);
                Snackbar.Add("Not saved: fix the errors shown on the fields.", MudBlazor.Severity.Error);
                return;
            }
            Snackbar.Add($"Saved '{spec.Name}' as revision {outcome.Revision!.Number}.", MudBlazor.Severity.Success);
            Navigation.NavigateTo(Routes.Topology(spec.Name));
        }
        catch (ForbiddenException e)
        {
            Snackbar.Add(e.Message, MudBlazor.Severity.Error);
        }
        finally
        {
            _saving = false;
        }
    }

    /// <summary>Field paths as the validator names them.</summary>
    internal static class Path
    {
        public const string Name = "name";
        public const string LoadBalancer = "loadBalancer";
        public const string Web = "web";
        public const string Router = "sqlRouter";
        public const string Database = "database";
        public const string DeployTarget = "deploy.target";
    }
}
