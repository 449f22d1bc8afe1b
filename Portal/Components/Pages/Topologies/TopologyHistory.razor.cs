using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaPortal.Components.Pages.Topologies;

/// <summary>Revisions of one topology, the field-level diff of any two (chosen by ?from=&amp;to=), and restore.</summary>
public partial class TopologyHistory
{
    [Parameter] public required string Name { get; set; }
    [SupplyParameterFromQuery] public int? From { get; set; }
    [SupplyParameterFromQuery] public int? To { get; set; }

    [Inject] public required TopologyStore Store { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [CascadingParameter] public required Task<AuthenticationState> AuthState { get; set; }

    private IReadOnlyList<RevisionInfo>? _history;
    private IReadOnlyList<FieldChange>? _changes;
    private string? _diffError;
    private int _from;
    private int _to;
    private bool _canChange;

    private List<BreadcrumbItem> Crumbs =>
        [new("Topologies", Routes.Topologies), new(Name, Routes.Topology(Name)), new("History", null, disabled: true)];

    protected override async Task OnParametersSetAsync()
    {
        _canChange = Actor.From((await AuthState).User).CanChange;
        _history = await Store.HistoryAsync(Name);
        if (_history.Count == 0) return;
        var latest = _history[0].Number;
        _to = To ?? latest;
        _from = From ?? Math.Max(1, _to - 1);
        await CompareAsync();
    }

    private async Task CompareAsync()
    {
        _diffError = null;
        _changes = null;
        var before = await Store.GetAsync(Name, _from);
        var after = await Store.GetAsync(Name, _to);
        if (before is null || after is null)
        {
            _diffError = $"Revision {(before is null ? _from : _to)} does not exist; pick revisions from the list.";
            return;
        }
        _changes = TopologyDiff.Compare(before.Spec, after.Spec);
    }

    private void Select(int from, int to) => Navigation.NavigateTo(Routes.Diff(Name, from, to));

    private async Task RestoreAsync(int revision)
    {
        var sure = await Dialogs.ShowMessageBoxAsync("Restore revision",
            $"Save revision {revision} of '{Name}' as a new revision? History is kept; nothing is deleted.",
            yesText: "Restore", cancelText: "Cancel");
        if (sure != true) return;
        try
        {
            var outcome = await Store.RestoreAsync(Name, revision, Actor.From((await AuthState).User));
            if (outcome is { Saved: true, Revision: { } saved })
            {
                Snackbar.Add($"Restored revision {revision} as revision {saved.Number}.", MudBlazor.Severity.Success);
                Navigation.NavigateTo(Routes.Diff(Name, revision, saved.Number));
            }
            else
            {
                Snackbar.Add($"Revision {revision} could not be restored.", MudBlazor.Severity.Error);
            }
        }
        catch (ForbiddenException e)
        {
            Snackbar.Add(e.Message, MudBlazor.Severity.Error);
        }
    }
}
