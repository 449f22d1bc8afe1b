using HaPortal.Core.Topology;

namespace HaPortal.Core.Haproxy;

/// <summary>
/// The structural settings of the web backend as an operator edits them (form, command line, API): text where the
/// input can be wrong in kind (balance, mode), so a bad value is a problem on its field rather than a binding error.
/// Field names are the paths of <see cref="ValidationProblem"/>s returned for them.
/// </summary>
public sealed record BackendSettings
{
    public string Balance { get; init; } = "roundrobin";
    public bool StickyEnabled { get; init; } = true;
    public string Cookie { get; init; } = "SERVERID";
    public string StickyMode { get; init; } = "insert";
    public bool Indirect { get; init; } = true;
    public bool NoCache { get; init; } = true;
    public string CheckPath { get; init; } = "/health";
    public int IntervalMs { get; init; } = 2000;
    public int Rise { get; init; } = 2;
    public int Fall { get; init; } = 3;
    public int ExpectStatus { get; init; } = 200;

    public static readonly IReadOnlyList<string> Balances = ["roundrobin", "leastconn", "source"];
    public static readonly IReadOnlyList<string> StickyModes = ["insert", "rewrite", "prefix"];

    /// <summary>The topology's path of each field, so the validator's problems land on the field that caused them.</summary>
    private static readonly IReadOnlyDictionary<string, string> FieldOfPath = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["loadBalancer.balance"] = "balance",
        ["loadBalancer.stickySessions.enabled"] = "stickyEnabled",
        ["loadBalancer.stickySessions.cookie"] = "cookie",
        ["loadBalancer.stickySessions.mode"] = "stickyMode",
        ["loadBalancer.stickySessions.indirect"] = "indirect",
        ["loadBalancer.healthCheck.path"] = "checkPath",
        ["loadBalancer.healthCheck.intervalMs"] = "intervalMs",
        ["loadBalancer.healthCheck.rise"] = "rise",
        ["loadBalancer.healthCheck.fall"] = "fall",
        ["loadBalancer.healthCheck.expectStatus"] = "expectStatus",
    };

    public static BackendSettings From(LoadBalancerSpec lb) => new()
    {
        Balance = HaPortal.Core.Rendering.HaproxyRenderer.Balance(lb.Balance),
        StickyEnabled = lb.StickySessions.Enabled,
        Cookie = lb.StickySessions.Cookie,
        StickyMode = lb.StickySessions.Mode.ToString().ToLowerInvariant(),
        Indirect = lb.StickySessions.Indirect,
        NoCache = lb.StickySessions.NoCache,
        CheckPath = lb.HealthCheck.Path,
        IntervalMs = lb.HealthCheck.IntervalMs,
        Rise = lb.HealthCheck.Rise,
        Fall = lb.HealthCheck.Fall,
        ExpectStatus = lb.HealthCheck.ExpectStatus,
    };

    /// <summary>
    /// The topology with these settings, validated as a whole; every problem is reported on this record's field
    /// names (a problem elsewhere in the topology keeps its own path). Null spec when any error remains.
    /// </summary>
    public (TopologySpec? Spec, IReadOnlyList<ValidationProblem> Problems) ApplyTo(TopologySpec spec)
    {
        var problems = new List<ValidationProblem>();
        var balance = Parse<BalanceAlgorithm>(Balance, "balance", Balances, problems);
        var mode = Parse<StickyMode>(StickyMode, "stickyMode", StickyModes, problems);
        var lb = spec.LoadBalancer;
        var updated = spec with
        {
            LoadBalancer = lb with
            {
                Balance = balance ?? lb.Balance,
                StickySessions = new StickySessionSpec
                {
                    Enabled = StickyEnabled, Cookie = Cookie?.Trim() ?? "", Mode = mode ?? lb.StickySessions.Mode, Indirect = Indirect, NoCache = NoCache,
                },
                HealthCheck = new HealthCheckSpec { Path = CheckPath?.Trim() ?? "", IntervalMs = IntervalMs, Rise = Rise, Fall = Fall, ExpectStatus = ExpectStatus },
            },
        };
        problems.AddRange(TopologyValidator.Validate(updated).Errors
            .Select(p => FieldOfPath.TryGetValue(p.Path, out var field) ? p with { Path = field } : p));
        return (problems.Count == 0 ? updated : null, problems);
    }

    private static T? Parse<T>(string? text, string field, IReadOnlyList<string> allowed, List<ValidationProblem> problems) where T : struct, Enum
    {
        var value = text?.Trim() ?? "";
        if (allowed.Contains(value.ToLowerInvariant()) && Enum.TryParse<T>(value, ignoreCase: true, out var parsed)) return parsed;
        problems.Add(new(field, $"'{text}' is not one of {string.Join(", ", allowed)}."));
        return null;
    }
}
