using HaPortal.Core.ProxySql;
using HaPortal.Core.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace HaPortal.Components.Pages.ProxySql;

public partial class QueryRules
{
    [Inject] public required IConfiguration Configuration { get; init; }
    [Inject] public required IProxySqlAdminFactory AdminFactory { get; init; }
    [Inject] public required QueryRuleOperations Operations { get; init; }
    [Inject] public required AuthenticationStateProvider Auth { get; init; }

    private readonly CancellationTokenSource _stop = new();
    private Task? _refresh;

    private QueryRulesModel? Model { get; set; }
    private string? Problem { get; set; }
    private string NodeList { get; set; } = "";
    private Actor Actor { get; set; } = new("anonymous", new HashSet<string>());
    private RuleForm? Form { get; set; }
    private bool IsNew { get; set; }
    private bool Busy { get; set; }
    private DryRunReport? DryRunReport { get; set; }

    protected override async Task OnInitializedAsync()
    {
        Actor = Actor.From((await Auth.GetAuthenticationStateAsync()).User);
        var options = Configuration.GetSection(ProxySqlOptions.Section).Get<ProxySqlOptions>() ?? new ProxySqlOptions();
        var nodes = options.Nodes(AdminFactory, out var problem);
        if (problem is not null)
        {
            Problem = problem;
            return;
        }
        NodeList = string.Join(", ", nodes.Select(n => n.Node));
        var model = new QueryRulesModel(nodes, string.IsNullOrWhiteSpace(options.Topology) ? null : options.Topology, Operations);
        try { await model.LoadAsync(_stop.Token); }
        catch (ProxySqlAdminException e)
        {
            Problem = e.Message;
            return;
        }
        Model = model;
        _refresh = RefreshHitsAsync(model, _stop.Token);
    }

    /// <summary>Live hit counts: poll stats_mysql_query_rules and re-render through InvokeAsync.</summary>
    private async Task RefreshHitsAsync(QueryRulesModel model, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try { await model.RefreshHitsAsync(ct); }
                catch (ProxySqlAdminException) { continue; } // a missed poll is retried on the next tick
                await InvokeAsync(StateHasChanged);
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task Run(Func<QueryRulesModel, Task<bool>> action)
    {
        if (Model is null) return;
        Busy = true;
        try { await action(Model); }
        catch (ProxySqlAdminException e) { Problem = e.Message; }
        finally { Busy = false; }
    }

    private void Add()
    {
        IsNew = true;
        DryRunReport = null;
        Form = new RuleForm { RuleId = (Model!.Rules.Count == 0 ? 0 : Model.Rules.Max(r => r.RuleId)) + 10, Apply = true };
    }

    private void Edit(ProxySqlQueryRule rule)
    {
        IsNew = false;
        DryRunReport = null;
        Form = RuleForm.From(rule);
    }

    private async Task DryRunAsync() => DryRunReport = await Model!.DryRunAsync(Form!, _stop.Token);

    private async Task SaveAsync()
    {
        Busy = true;
        try
        {
            if (await Model!.SaveAsync(Form!, IsNew, Actor, _stop.Token)) Form = null;
        }
        finally { Busy = false; }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_refresh is not null) await _refresh;
        _stop.Dispose();
    }
}
