using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaPortal.Components.Pages.Deploy;

/// <summary>
/// One topology on the engine: the plan as a diff, apply with live progress, the observed state, destroy.
/// The buttons are for Operators and Admins; DeployOperations refuses a Viewer on the server as well.
/// </summary>
public sealed partial class DeployPage
{
    [Parameter] public required string Name { get; set; }
    [Inject] public required DeployOperations Operations { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [CascadingParameter] public required Task<AuthenticationState> AuthState { get; set; }

    private readonly CancellationTokenSource _stop = new();
    private readonly List<DeployProgress> _events = [];
    private Task _loop = Task.CompletedTask;
    private DeployPreview? _preview;
    private StackStatus? _status;
    private string? _siteUrl;
    private string? _error;
    private string? _operation;
    private bool _canChange;
    private bool _running;
    private bool _destroyVolumes;

    private List<BreadcrumbItem> Crumbs => [new("Topologies", Routes.Topologies), new(Name, Routes.Topology(Name)), new("Deploy", null, disabled: true)];

    protected override async Task OnInitializedAsync()
    {
        _canChange = (await ActorAsync()).CanChange;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        try
        {
            _preview = await Operations.PreviewAsync(Name, _stop.Token);
            _status = await Operations.StatusAsync(Name, _stop.Token);
            _siteUrl = _preview.Stored is { } stored ? Operations.LoadBalancerUrl(stored.Spec, new Uri(Navigation.BaseUri)).ToString() : null;
            _error = null;
        }
        catch (ContainerEngineException e)
        {
            _error = $"The Docker engine did not answer: {e.Message}";
        }
    }

    private Task RefreshAsync() => LoadAsync();

    private async Task RefreshStatusAsync(CancellationToken ct)
    {
        try { _status = await Operations.StatusAsync(Name, ct); }
        catch (ContainerEngineException e) { _error = $"The Docker engine did not answer: {e.Message}"; }
    }

    private async Task ApplyAsync()
    {
        var sure = await Dialogs.ShowMessageBoxAsync("Apply",
            $"Make the engine match '{Name}' revision {_preview!.Stored!.Revision.Number}? Containers listed to recreate or remove are replaced while this runs.",
            yesText: "Apply", cancelText: "Cancel");
        if (sure != true) return;
        await StartAsync("apply", async actor =>
        {
            // Plan again: the page may have been open a while, and apply must run what is true now.
            _preview = await Operations.PreviewAsync(Name, _stop.Token);
            return Operations.ApplyAsync(actor, _preview, _stop.Token);
        });
    }

    private async Task DestroyAsync()
    {
        var what = _destroyVolumes ? "every container, the network and the data volumes (the databases' data is lost)" : "every container and the network (data volumes are kept)";
        var sure = await Dialogs.ShowMessageBoxAsync("Destroy", $"Remove {what} of '{Name}' from the engine?", yesText: "Destroy", cancelText: "Cancel");
        if (sure != true) return;
        await StartAsync("destroy", async actor =>
            Operations.DestroyAsync(actor, await Operations.PlanDestroyAsync(Name, _destroyVolumes, _stop.Token), _stop.Token));
    }

    /// <summary>Starts the run; the loop outlives the click and is awaited on dispose.</summary>
    private async Task StartAsync(string operation, Func<Actor, Task<IAsyncEnumerable<DeployProgress>>> start)
    {
        _running = true;
        _operation = operation;
        _events.Clear();
        try
        {
            var progress = await start(await ActorAsync());
            _loop = FollowAsync(progress, _stop.Token);
        }
        catch (Exception e) when (e is ForbiddenException or ContainerEngineException)
        {
            _error = e.Message;
            _running = false;
        }
    }

    private async Task FollowAsync(IAsyncEnumerable<DeployProgress> progress, CancellationToken ct)
    {
        try
        {
            await foreach (var e in progress.WithCancellation(ct))
            {
                _events.Add(e);
                // A container is up: show it in the state table now rather than at the end.
                if (e.Kind == DeployEventKind.StepSucceeded) await RefreshStatusAsync(ct);
                await InvokeAsync(StateHasChanged);
            }
            await LoadAsync();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
        catch (Exception e) when (e is ForbiddenException or ContainerEngineException)
        {
            _error = e.Message;
        }
        _running = false;
        await InvokeAsync(StateHasChanged);
    }

    private async Task<Actor> ActorAsync() => Actor.From((await AuthState).User);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _loop; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }

    /// <summary>Where the topology deploys (its deploy.target), as the subtitle says it.</summary>
    internal static string TargetName(HaPortal.Core.Topology.DeployTarget? target) =>
        target == HaPortal.Core.Topology.DeployTarget.Swarm ? "to the Docker Swarm" : "to Docker (one host)";
}
