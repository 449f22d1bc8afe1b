using System.Collections.Immutable;
using HaPortal.Api;
using HaPortal.Core.Persistence;
using HaPortal.Core.Replication;
using HaPortal.Core.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace HaPortal.Components.Pages.Replication;

/// <summary>Live replication state of one topology: graph, drift, lag chart; switchover for those who may change.</summary>
public sealed partial class ReplicationPage
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(2);

    [Parameter] public required string Name { get; set; }
    [Inject] public required IServiceProvider Services { get; init; }
    [Inject] public required TimeProvider Time { get; init; }
    [Inject] public required MonitorDecisionLog DecisionLog { get; init; }
    [Inject] public required TopologyStore Store { get; init; }
    [Inject] public required DrillStore Drills { get; init; }
    [CascadingParameter] public required Task<AuthenticationState> Auth { get; set; }

    private readonly CancellationTokenSource _stop = new();
    private readonly LagHistory _history = new();
    private Task? _loop;
    private ReplicationTarget? _target0;
    private IReadOnlyList<(string Field, string Message)>? _problems;
    private ClusterView? _view;
    private string? _target;
    private bool _busy;
    private ImmutableArray<PreCheck>? _checks;
    private ReplicationOperationResult? _result;
    private FailoverMonitorOptions _autoFailover = new();
    private IReadOnlyList<MonitorDecision> _decisions = [];
    private IReadOnlyList<StoredDrill> _drills = [];
    private DrillKind _drillKind = DrillKind.Switchover;
    private IReadOnlyList<string> _drillProblems = [];

    protected override async Task OnInitializedAsync()
    {
        _decisions = DecisionLog.Of(Name);
        DecisionLog.Added += OnDecision;
        await ResolveAsync();
        if (_target0?.Operations is not null) _loop = LoopAsync(_stop.Token);
    }

    private async Task ResolveAsync()
    {
        _target0 = await ReplicationApi.Resolver(Services).ResolveAsync(Name, _stop.Token);
        _problems = _target0.Problems;
        var stored = await Store.GetAsync(Name, ct: _stop.Token);
        if (stored is not null) _autoFailover = FailoverMonitorService.OptionsOf(stored.Spec.Database.AutoFailover);
        _drills = await Drills.ListAsync(Name, _stop.Token);
    }

    private void OnDecision(MonitorDecision decision)
    {
        if (decision.Topology != Name) return;
        _decisions = DecisionLog.Of(Name);
        _ = InvokeAsync(StateHasChanged);
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Refresh, Time);
        try
        {
            do
            {
                var view = await _target0!.Operations!.StatusAsync(_target0.Cluster!, ct);
                _history.Add(view);
                _view = view;
                await InvokeAsync(StateHasChanged);
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private async Task CheckAsync()
    {
        _busy = true;
        try { (_, _checks) = await _target0!.Operations!.CheckSwitchoverAsync(_target0.Cluster!, _target!, _stop.Token); }
        finally { _busy = false; }
    }

    private async Task SwitchoverAsync()
    {
        _busy = true;
        try
        {
            var actor = Actor.From((await Auth).User);
            _result = await _target0!.Operations!.SwitchoverAsync(_target0.Cluster!, _target!, actor, _stop.Token);
            _checks = _result.Checks;
            // The stored topology changed: the cluster (expected primary) must be read again.
            await ResolveAsync();
        }
        catch (ForbiddenException e)
        {
            _problems = [("role", e.Message)];
        }
        finally { _busy = false; }
    }

    private async Task DrillAsync()
    {
        _busy = true;
        try
        {
            var outcome = await ReplicationApi.RunDrillsAsync(Services, Name, _drillKind, 1, Actor.From((await Auth).User), _stop.Token);
            _drillProblems = [.. outcome.Problems.Select(p => $"{p.Field}: {p.Message}"), .. outcome.Reports.Where(r => !r.Succeeded).Select(r => r.Summary)];
            await ResolveAsync();
        }
        catch (ForbiddenException e) { _drillProblems = [e.Message]; }
        finally { _busy = false; }
    }

    public async ValueTask DisposeAsync()
    {
        DecisionLog.Added -= OnDecision;
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
