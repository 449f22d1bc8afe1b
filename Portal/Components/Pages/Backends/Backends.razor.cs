using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Haproxy;
using HaPortal.Core.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaPortal.Components.Pages.Backends;

/// <summary>
/// One load balancer's backends, live: a deployed topology's (reached through the engine, changes recorded in that
/// topology, web nodes added and removed) or the one the Haproxy settings name (changes recorded in an optional topology).
/// </summary>
public partial class Backends
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>The select's value for the Haproxy:RuntimeEndpoint load balancer; topology names cannot be empty.</summary>
    private const string ConfiguredSource = "";

    [Inject] public required IConfiguration Configuration { get; init; }
    [Inject] public required BackendOperations Operations { get; init; }
    [Inject] public required HaproxyTargets Targets { get; init; }
    [Inject] public required IDeployedLoadBalancers Deployed { get; init; }
    [Inject] public required AuthenticationStateProvider Authentication { get; init; }
    [Inject] public required TimeProvider Time { get; init; }

    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, int> _weights = new(StringComparer.Ordinal);
    private SessionHistory _history = new();
    private Task _loop = Task.CompletedTask;
    private HaproxyTarget? _configured;
    private IReadOnlyList<string> _deployed = [];
    private string? _deployedError;
    private string _source = ConfiguredSource;
    private IHaproxyRuntime? _runtime;
    private string? _endpointError;
    private IReadOnlyList<HaproxyBackend>? _backends;
    private string? _error;
    private string? _topology;
    private BackendChangeResult? _outcome;
    private NodeChanges? _nodes;
    private bool _busy;

    private bool IsDeployed => _source != ConfiguredSource;

    protected override async Task OnInitializedAsync()
    {
        var (target, problems) = Targets.Resolve(Configuration.GetSection(Api.BackendApi.SettingsSection).Get<HaproxySettings>() ?? new());
        _endpointError = string.Join(" ", problems.Select(p => $"{p.Path}: {p.Message}"));
        _configured = target;
        try
        {
            _deployed = await Deployed.ListAsync(_stop.Token);
        }
        catch (ContainerEngineException e)
        {
            // No engine here (an HAProxy outside Docker): the configured endpoint still works.
            _deployedError = e.Message;
        }
        if (_configured is not null) Select(ConfiguredSource);
        else if (_deployed.Count > 0) Select(_deployed[0]);
        if (_runtime is not null) _loop = PollAsync(_stop.Token);
    }

    private void Select(string source)
    {
        _source = source;
        _runtime = source == ConfiguredSource ? _configured?.Runtime : Deployed.Runtime(source);
        _backends = null;
        _history = new SessionHistory();
        _weights.Clear();
        _outcome = null;
        _error = null;
    }

    private async Task SelectAsync(string source)
    {
        Select(source);
        await RefreshAsync(_stop.Token);
    }

    private async Task PollAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval, Time);
        do
        {
            await RefreshAsync(ct);
            await InvokeAsync(StateHasChanged);
        } while (await timer.WaitForNextTickAsync(ct));
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        var runtime = _runtime!;
        try
        {
            var backends = await runtime.ListBackendsAsync(ct);
            if (!ReferenceEquals(runtime, _runtime)) return; // switched meanwhile
            _history.Add(Time.GetLocalNow(), backends);
            _backends = backends;
            _error = null;
        }
        catch (Exception e) when (e is HaproxyUnreachableException or HaproxyCommandException)
        {
            _error = e.Message;
        }
    }

    private int WeightOf(HaproxyServer s) => _weights.TryGetValue(s.Id, out var w) ? w : s.Weight;

    private List<ChartSeries<double>> SeriesFor(string backend) =>
        _history.For(backend).Select(s => new ChartSeries<double> { Name = s.Server, Data = s.Sessions }).ToList();

    private Task SetWeightAsync(HaproxyServer s) =>
        RunAsync((ops, actor) => ops.SetWeightAsync(_runtime!, actor, s.Backend, s.Name, WeightOf(s), Topology(), _stop.Token), s.Id);

    private Task SetStateAsync(HaproxyServer s, string state) =>
        RunAsync((ops, actor) => ops.SetStateAsync(_runtime!, actor, s.Backend, s.Name, state, Topology(), _stop.Token), s.Id);

    /// <summary>A deployed load balancer's changes go to its own topology; the configured one's to the optional field.</summary>
    private string? Topology() => IsDeployed ? _source : string.IsNullOrWhiteSpace(_topology) ? null : _topology.Trim();

    private async Task NodeChangeRunningAsync(bool running)
    {
        _busy = running;
        if (!running) await RefreshAsync(_stop.Token);
    }

    private async Task RunAsync(Func<BackendOperations, Actor, Task<BackendChangeResult>> change, string id)
    {
        _busy = true;
        try
        {
            var actor = Actor.From((await Authentication.GetAuthenticationStateAsync()).User);
            _outcome = await change(Operations, actor);
            if (_outcome.Succeeded) _weights.Remove(id);
            _backends = await _runtime!.ListBackendsAsync(_stop.Token);
        }
        catch (Exception e) when (e is ForbiddenException or HaproxyCommandException or HaproxyUnreachableException or InvalidOperationException)
        {
            _outcome = null;
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _loop; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
