using System.Collections.Immutable;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Haproxy;
using HaPortal.Core.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace HaPortal.Components.Pages.Backends;

/// <summary>
/// Add and remove web nodes of a deployed topology, with the steps shown as they happen. The Backends page puts a
/// Remove button on each server's row that calls <see cref="RemoveAsync"/>. The buttons are for Operators and Admins;
/// <see cref="IDeployedLoadBalancers"/> refuses a Viewer on the server as well.
/// </summary>
public partial class NodeChanges
{
    [Parameter, EditorRequired] public required string Topology { get; set; }

    /// <summary>Told when a change starts and ends, so the page disables its other actions meanwhile.</summary>
    [Parameter] public EventCallback<bool> RunningChanged { get; set; }

    [Inject] public required IDeployedLoadBalancers LoadBalancers { get; init; }
    [Inject] public required AuthenticationStateProvider Authentication { get; init; }

    private Actor? _actor;
    private bool _canChange;
    private string? _name;
    private int _weight = 100;
    private int _timeoutSeconds = 30;
    private bool _shutdown;
    private string? _running;
    private ImmutableList<string> _progress = [];
    private WebNodeChangeResult? _result;
    private string? _done;
    private string? _error;

    public bool CanChange => _canChange;

    private bool Running => _running is not null;

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await Authentication.GetAuthenticationStateAsync()).User);
        _canChange = _actor.CanChange;
    }

    private Task AddAsync()
    {
        var name = _name?.Trim() ?? "";
        return RunAsync($"Adding {name} to '{Topology}'…", $"{name} added",
            (report, ct) => LoadBalancers.AddNodeAsync(_actor!, Topology, name, _weight, report, ct));
    }

    /// <summary>Drains, waits, deletes and removes <paramref name="node"/> with the timeout and shutdown choice of this form.</summary>
    public Task RemoveAsync(string node) =>
        RunAsync($"Removing {node} from '{Topology}'…", $"{node} removed",
            (report, ct) => LoadBalancers.RemoveNodeAsync(_actor!, Topology, node, TimeSpan.FromSeconds(_timeoutSeconds), _shutdown, report, ct));

    private async Task RunAsync(string what, string done, Func<Action<string>, CancellationToken, Task<WebNodeChangeResult>> change)
    {
        if (Running) return;
        _running = what;
        _progress = [];
        _result = null;
        _error = null;
        await RunningChanged.InvokeAsync(true);
        try
        {
            // Steps arrive from the operation's threads: swap the immutable list and re-render through the dispatcher.
            _result = await change(line =>
            {
                _progress = _progress.Add(line);
                _ = InvokeAsync(StateHasChanged);
            }, CancellationToken.None);
            _done = done;
            if (_result.Succeeded) _name = null;
        }
        catch (Exception e) when (e is ForbiddenException or HaproxyCommandException or HaproxyUnreachableException
                                       or ContainerEngineException or DeployStepException or InvalidOperationException)
        {
            _error = e.Message;
        }
        finally
        {
            _running = null;
            await RunningChanged.InvokeAsync(false);
        }
    }
}
