using HaPortal.Core.Haproxy;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace HaPortal.Components.Pages.Backends;

/// <summary>The structural settings of a stored topology's load balancer, applied by check + reload (BackendOperations).</summary>
public partial class BackendSettingsForm
{
    [Parameter, EditorRequired] public required string Topology { get; set; }
    [Parameter, EditorRequired] public required HaproxyTarget Target { get; set; }

    [Inject] public required BackendOperations Operations { get; init; }
    [Inject] public required TopologyStore Topologies { get; init; }
    [Inject] public required AuthenticationStateProvider Authentication { get; init; }

    /// <summary>The form's editable copy; the record is rebuilt from it on apply.</summary>
    private sealed class Draft
    {
        public string Balance { get; set; } = "";
        public bool StickyEnabled { get; set; }
        public string Cookie { get; set; } = "";
        public string StickyMode { get; set; } = "";
        public bool Indirect { get; set; }
        public bool NoCache { get; set; }
        public string CheckPath { get; set; } = "";
        public int IntervalMs { get; set; }
        public int Rise { get; set; }
        public int Fall { get; set; }
        public int ExpectStatus { get; set; }

        public static Draft From(BackendSettings s) => new()
        {
            Balance = s.Balance, StickyEnabled = s.StickyEnabled, Cookie = s.Cookie, StickyMode = s.StickyMode, Indirect = s.Indirect,
            NoCache = s.NoCache, CheckPath = s.CheckPath, IntervalMs = s.IntervalMs, Rise = s.Rise, Fall = s.Fall, ExpectStatus = s.ExpectStatus,
        };

        public BackendSettings ToSettings() => new()
        {
            Balance = Balance, StickyEnabled = StickyEnabled, Cookie = Cookie, StickyMode = StickyMode, Indirect = Indirect,
            NoCache = NoCache, CheckPath = CheckPath, IntervalMs = IntervalMs, Rise = Rise, Fall = Fall, ExpectStatus = ExpectStatus,
        };
    }

    private string? _loaded;
    private Draft? _form;
    private string? _loadError;
    private string? _haproxyError;
    private string? _applied;
    private IReadOnlyList<ValidationProblem> _otherProblems = [];
    private Dictionary<string, string> _fieldErrors = new(StringComparer.Ordinal);
    private bool _busy;

    protected override async Task OnParametersSetAsync()
    {
        if (_loaded == Topology) return;
        _loaded = Topology;
        var stored = await Topologies.GetAsync(Topology);
        _loadError = stored is null ? $"No stored topology named '{Topology}'." : null;
        _form = stored is null ? null : Draft.From(BackendSettings.From(stored.Spec.LoadBalancer));
    }

    private bool Has(string field) => _fieldErrors.ContainsKey(field);

    private string? ErrorOf(string field) => _fieldErrors.GetValueOrDefault(field);

    private async Task ApplyAsync()
    {
        _busy = true;
        _applied = _haproxyError = null;
        try
        {
            var actor = Actor.From((await Authentication.GetAuthenticationStateAsync()).User);
            var result = await Operations.ApplySettingsAsync(Target, actor, Topology, _form!.ToSettings());
            var fields = typeof(Draft).GetProperties().Select(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..]).ToHashSet(StringComparer.Ordinal);
            _fieldErrors = result.Problems.Where(p => fields.Contains(p.Path)).GroupBy(p => p.Path)
                .ToDictionary(g => g.Key, g => string.Join(" ", g.Select(p => p.Message)), StringComparer.Ordinal);
            _haproxyError = result.Problems.FirstOrDefault(p => p.Path == "haproxy")?.Message;
            _otherProblems = result.Problems.Where(p => !fields.Contains(p.Path) && p.Path != "haproxy").ToList();
            if (result.Succeeded) _applied = $"Reloaded: new worker {result.WorkerPid}, recorded as revision {result.Revision?.Number}.";
        }
        catch (ForbiddenException e)
        {
            _otherProblems = [new ValidationProblem("role", e.Message)];
        }
        finally
        {
            _busy = false;
        }
    }
}
