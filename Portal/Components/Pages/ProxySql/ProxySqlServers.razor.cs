using System.Globalization;
using HaPortal.Core.ProxySql;
using HaPortal.Core.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaPortal.Components.Pages.ProxySql;

public partial class ProxySqlServers
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    [Inject] public required IConfiguration Configuration { get; init; }
    [Inject] public required IProxySqlAdminFactory AdminFactory { get; init; }
    [Inject] public required ServerOperations ServerOps { get; init; }
    [Inject] public required ReadRoutingOperations RoutingOps { get; init; }
    [Inject] public required AuthenticationStateProvider Auth { get; init; }
    [Inject] public required TimeProvider Time { get; init; }

    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private ServersModel? Model { get; set; }
    private string? Problem { get; set; }
    private Actor Actor { get; set; } = new("anonymous", new HashSet<string>());
    private bool Busy { get; set; }
    private (ProxySqlServer Server, string Status)? Pending { get; set; }

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
        var model = new ServersModel(nodes, string.IsNullOrWhiteSpace(options.Topology) ? null : options.Topology, ServerOps, RoutingOps);
        try { await model.LoadAsync(Time.GetLocalNow(), _stop.Token); }
        catch (ProxySqlAdminException e)
        {
            Problem = e.Message;
            return;
        }
        Model = model;
        _loop = SampleAsync(model, _stop.Token);
    }

    /// <summary>Live figures: sample the stats tables on a TimeProvider timer and re-render through InvokeAsync.</summary>
    private async Task SampleAsync(ServersModel model, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (Busy) continue; // a change re-samples itself; don't interleave
                try { await model.SampleAsync(Time.GetLocalNow(), ct); }
                catch (ProxySqlAdminException) { continue; } // a missed sample is taken on the next tick
                await InvokeAsync(StateHasChanged);
            }
        }
        catch (OperationCanceledException) { }
    }

    private void Ask(ProxySqlServer server, string status) => Pending = (server, status);

    private Task ConfirmAsync() => RunAsync(async m =>
    {
        var (server, status) = Pending!.Value;
        Pending = null;
        await m.SetStatusAsync(server, status, Actor, Time.GetLocalNow(), _stop.Token);
    });

    private Task RetryAsync() => RunAsync(m => m.RetryAsync(Actor, Time.GetLocalNow(), _stop.Token));

    private Task RollBackAsync() => RunAsync(m => m.RollBackAsync(Actor, Time.GetLocalNow(), _stop.Token));

    private Task ApplyRoutingAsync() => RunAsync(m => m.ApplyRoutingAsync(Actor, Time.GetLocalNow(), _stop.Token));

    private async Task RunAsync(Func<ServersModel, Task> action)
    {
        if (Model is null) return;
        Busy = true;
        try { await action(Model); }
        catch (ProxySqlAdminException e) { Problem = e.Message; }
        finally { Busy = false; }
    }

    private static Color StatusColor(string status) => status switch
    {
        ServerStatus.Online => Color.Success,
        ServerStatus.Shunned => Color.Error,
        ServerStatus.OfflineSoft => Color.Warning,
        _ => Color.Dark,
    };

    private static string Latency(ConnectionPoolStat? p) => p is null ? "–" : (p.LatencyUs / 1000.0).ToString("F1", CultureInfo.InvariantCulture) + " ms";

    private static string Bytes(long? b) => b switch
    {
        null => "–",
        < 1024 => $"{b} B",
        < 1024 * 1024 => (b.Value / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
        _ => (b.Value / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) + " MiB",
    };

    private string Split()
    {
        var byHg = Model!.History.QueriesByHostgroup;
        var total = byHg.Values.Sum();
        if (total == 0) return "No queries in the sampled window yet.";
        return string.Join(" · ", byHg.OrderBy(kv => kv.Key).Select(kv =>
            $"hostgroup {kv.Key}{(Model.RoleOf(kv.Key) is { Length: > 0 } r ? $" ({r})" : "")}: {kv.Value:F0} queries, {kv.Value / total:P0}"));
    }

    private List<ChartSeries<double>> QuerySeries() => Model!.History.Queries.Select(s => new ChartSeries<double> { Name = s.Server, Data = s.Values }).ToList();

    private List<ChartSeries<double>> UsedSeries() => Model!.History.ConnectionsUsed.Select(s => new ChartSeries<double> { Name = s.Server, Data = s.Values }).ToList();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
