using HaPortal.Core.Haproxy;
using HaPortal.Core.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaPortal.Components.Pages.Backends;

public partial class Backends
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    [Inject] public required IConfiguration Configuration { get; init; }
    [Inject] public required BackendOperations Operations { get; init; }
    [Inject] public required HaproxyTargets Targets { get; init; }
    [Inject] public required AuthenticationStateProvider Authentication { get; init; }
    [Inject] public required TimeProvider Time { get; init; }

    private readonly CancellationTokenSource _stop = new();
    private readonly SessionHistory _history = new();
    private readonly Dictionary<string, int> _weights = new(StringComparer.Ordinal);
    private Task _loop = Task.CompletedTask;
    private HaproxyTarget? _target;
    private IHaproxyRuntime? _runtime;
    private string? _endpointError;
    private IReadOnlyList<HaproxyBackend>? _backends;
    private string? _error;
    private string? _topology;
    private BackendChangeResult? _outcome;
    private bool _busy;

    protected override void OnInitialized()
    {
        var (target, problems) = Targets.Resolve(Configuration.GetSection(Api.BackendApi.SettingsSection).Get<HaproxySettings>() ?? new());
        _endpointError = string.Join(" ", problems.Select(p => $"{p.Path}: {p.Message}"));
        if (target is not null)
        {
            _target = target;
            _runtime = target.Runtime;
            _loop = PollAsync(_stop.Token);
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval, Time);
        do
        {
            try
            {
                var backends = await _runtime!.ListBackendsAsync(ct);
                _history.Add(Time.GetLocalNow(), backends);
                _backends = backends;
                _error = null;
            }
            catch (Exception e) when (e is HaproxyUnreachableException or HaproxyCommandException)
            {
                _error = e.Message;
            }
            await InvokeAsync(StateHasChanged);
        } while (await timer.WaitForNextTickAsync(ct));
    }

    private int WeightOf(HaproxyServer s) => _weights.TryGetValue(s.Id, out var w) ? w : s.Weight;

    private List<ChartSeries<double>> SeriesFor(string backend) =>
        _history.For(backend).Select(s => new ChartSeries<double> { Name = s.Server, Data = s.Sessions }).ToList();

    private Task SetWeightAsync(HaproxyServer s) =>
        RunAsync((ops, actor) => ops.SetWeightAsync(_runtime!, actor, s.Backend, s.Name, WeightOf(s), Topology(), _stop.Token), s.Id);

    private Task SetStateAsync(HaproxyServer s, string state) =>
        RunAsync((ops, actor) => ops.SetStateAsync(_runtime!, actor, s.Backend, s.Name, state, Topology(), _stop.Token), s.Id);

    private string? Topology() => string.IsNullOrWhiteSpace(_topology) ? null : _topology.Trim();

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
