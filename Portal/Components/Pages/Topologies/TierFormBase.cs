using HaPortal.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace HaPortal.Components.Pages.Topologies;

/// <summary>Shared parameters of the editor's per-tier forms: they edit the draft in place and report each change.</summary>
public abstract class TierFormBase : ComponentBase
{
    [Parameter, EditorRequired] public required TopologyDraft Draft { get; set; }
    [Parameter, EditorRequired] public required ProblemIndex Problems { get; set; }
    [Parameter] public bool ReadOnly { get; set; }

    /// <summary>Raised after every edit, so the page can validate again.</summary>
    [Parameter] public EventCallback Changed { get; set; }

    protected ProblemIndex P => Problems;

    protected Task After() => Changed.InvokeAsync();
}
