using System.Collections.Immutable;
using HaPortal.Core.Topology;

namespace HaPortal.Components.Pages.Topologies;

/// <summary>
/// A mutable copy of a <see cref="TopologySpec"/> for form binding. Lists keep the spec's order, so the index of a row
/// is the index in the validator's paths (<c>web.nodes[1].name</c>). The draft keeps the spec (and each node the node
/// spec) it was made from, and <see cref="ToSpec"/> changes only the fields the form shows: everything else (web node
/// state, sticky and health-check details, read routing, fields added later) is carried through unchanged.
/// </summary>
public sealed class TopologyDraft
{
    private TopologySpec _origin = new() { Name = "" };

    public string Name { get; set; } = "";

    // Load balancer
    public string LoadBalancerKind { get; set; } = "haproxy";
    public int PublishPort { get; set; } = 8080;
    public BalanceAlgorithm Balance { get; set; }
    public bool StickyEnabled { get; set; } = true;
    public string StickyCookie { get; set; } = "SERVERID";
    public StickyMode StickyMode { get; set; }
    public string HealthPath { get; set; } = "/health";
    public int HealthIntervalMs { get; set; } = 2000;
    public int HealthRise { get; set; } = 2;
    public int HealthFall { get; set; } = 3;
    public bool StatsEnabled { get; set; } = true;
    public int StatsPort { get; set; } = 8404;

    public List<WebNodeDraft> WebNodes { get; set; } = [];

    // SQL router
    public bool RouterEnabled { get; set; }
    public string RouterKind { get; set; } = "proxysql";
    public List<RouterNodeDraft> RouterNodes { get; set; } = [];
    public string? VirtualIp { get; set; }
    public int WriterHostgroup { get; set; } = 10;
    public int ReaderHostgroup { get; set; } = 20;
    public List<QueryRuleDraft> QueryRules { get; set; } = [];

    // Database
    public DatabaseFlavor Flavor { get; set; }
    public string Version { get; set; } = "10.11";
    public string PrimaryName { get; set; } = "";
    public int PrimaryPriority { get; set; }
    public List<DbNodeDraft> Replicas { get; set; } = [];
    public bool SemiSync { get; set; }
    public string AppSchema { get; set; } = "app";
    public string AppUser { get; set; } = "app";
    public bool AutoFailoverEnabled { get; set; }
    public int AutoFailoverChecks { get; set; } = 3;
    public int AutoFailoverIntervalMs { get; set; } = 1000;
    public int AutoFailoverAntiFlapSeconds { get; set; } = 600;

    public DeployTarget DeployTarget { get; set; }

    /// <summary>The shape of the seed stack: one HAProxy, two web nodes, one ProxySQL with read/write split, primary + replica.</summary>
    public static TopologyDraft NewDefault() => FromSpec(new TopologySpec
    {
        Name = "new-stack",
        Web = new() { Nodes = [new() { Name = "web1" }, new() { Name = "web2" }] },
        SqlRouter = new()
        {
            Nodes = [new() { Name = "proxysql1" }],
            QueryRules =
            [
                new() { Id = 100, MatchDigest = "^SELECT .* FOR UPDATE", Destination = "writer", Apply = true, Comment = "locking reads stay on the primary" },
                new() { Id = 200, MatchDigest = "^SELECT", Destination = "reader", Apply = true, Comment = "other reads go to replicas" },
            ],
        },
        Database = new() { Primary = new() { Name = "db1" }, Replicas = [new() { Name = "db2" }] },
    });

    public static TopologyDraft FromSpec(TopologySpec spec)
    {
        var lb = spec.LoadBalancer;
        var router = spec.SqlRouter;
        var db = spec.Database;
        return new TopologyDraft
        {
            _origin = spec,
            Name = spec.Name,
            LoadBalancerKind = lb.Kind,
            PublishPort = lb.PublishPort,
            Balance = lb.Balance,
            StickyEnabled = lb.StickySessions.Enabled,
            StickyCookie = lb.StickySessions.Cookie,
            StickyMode = lb.StickySessions.Mode,
            HealthPath = lb.HealthCheck.Path,
            HealthIntervalMs = lb.HealthCheck.IntervalMs,
            HealthRise = lb.HealthCheck.Rise,
            HealthFall = lb.HealthCheck.Fall,
            StatsEnabled = lb.Stats.Enabled,
            StatsPort = lb.Stats.PublishPort,
            WebNodes = spec.Web.Nodes.Select(n => new WebNodeDraft { Origin = n, Name = n.Name, Weight = n.Weight }).ToList(),
            RouterEnabled = router is not null,
            RouterKind = router?.Kind ?? "proxysql",
            RouterNodes = router?.Nodes.Select(n => new RouterNodeDraft { Origin = n, Name = n.Name }).ToList() ?? [new() { Name = "proxysql1" }],
            VirtualIp = router?.VirtualIp,
            WriterHostgroup = router?.Hostgroups.Writer ?? 10,
            ReaderHostgroup = router?.Hostgroups.Reader ?? 20,
            QueryRules = router?.QueryRules.Select(QueryRuleDraft.From).ToList() ?? [],
            Flavor = db.Flavor,
            Version = db.Version,
            PrimaryName = db.Primary?.Name ?? "",
            PrimaryPriority = db.Primary?.Priority ?? 0,
            Replicas = db.Replicas.Select(r => new DbNodeDraft { Origin = r, Name = r.Name, Priority = r.Priority }).ToList(),
            SemiSync = db.SemiSync,
            AppSchema = db.AppSchema,
            AppUser = db.AppUser,
            AutoFailoverEnabled = db.AutoFailover.Enabled,
            AutoFailoverChecks = db.AutoFailover.Checks,
            AutoFailoverIntervalMs = db.AutoFailover.IntervalMs,
            AutoFailoverAntiFlapSeconds = db.AutoFailover.AntiFlapWindowSeconds,
            DeployTarget = spec.Deploy?.Target ?? DeployTarget.Docker,
        };
    }

    public TopologySpec ToSpec()
    {
        var lb = _origin.LoadBalancer;
        var db = _origin.Database;
        var router = _origin.SqlRouter ?? new();
        return _origin with
        {
            Name = Name.Trim(),
            Deploy = (_origin.Deploy ?? new()) with { Target = DeployTarget },
            LoadBalancer = lb with
            {
                Kind = LoadBalancerKind,
                PublishPort = PublishPort,
                Balance = Balance,
                StickySessions = lb.StickySessions with { Enabled = StickyEnabled, Cookie = StickyCookie, Mode = StickyMode },
                HealthCheck = lb.HealthCheck with { Path = HealthPath, IntervalMs = HealthIntervalMs, Rise = HealthRise, Fall = HealthFall },
                Stats = lb.Stats with { Enabled = StatsEnabled, PublishPort = StatsPort },
            },
            Web = _origin.Web with { Nodes = [.. WebNodes.Select(n => n.ToSpec())] },
            SqlRouter = RouterEnabled
                ? router with
                {
                    Kind = RouterKind,
                    Nodes = [.. RouterNodes.Select(n => n.ToSpec())],
                    VirtualIp = string.IsNullOrWhiteSpace(VirtualIp) ? null : VirtualIp.Trim(),
                    Hostgroups = router.Hostgroups with { Writer = WriterHostgroup, Reader = ReaderHostgroup },
                    QueryRules = [.. QueryRules.Select(r => r.ToSpec())],
                }
                : null,
            Database = db with
            {
                Flavor = Flavor,
                Version = Version,
                // An empty name still makes a primary, so the validator reports it on the name field.
                Primary = (db.Primary ?? new() { Name = "" }) with { Name = PrimaryName.Trim(), Priority = PrimaryPriority },
                Replicas = [.. Replicas.Select(r => r.ToSpec())],
                SemiSync = SemiSync,
                AppSchema = AppSchema,
                AppUser = AppUser,
                AutoFailover = db.AutoFailover with
                {
                    Enabled = AutoFailoverEnabled, Checks = AutoFailoverChecks,
                    IntervalMs = AutoFailoverIntervalMs, AntiFlapWindowSeconds = AutoFailoverAntiFlapSeconds,
                },
            },
        };
    }

    /// <summary>A name not used yet in <paramref name="existing"/>: prefix1, prefix2, …</summary>
    public static string NextName(string prefix, IEnumerable<string> existing)
    {
        var used = existing.ToHashSet(StringComparer.Ordinal);
        for (var i = 1; ; i++)
            if (!used.Contains(prefix + i)) return prefix + i;
    }

    public IEnumerable<string> AllNodeNames() =>
        WebNodes.Select(n => n.Name).Concat(RouterNodes.Select(n => n.Name)).Append(PrimaryName).Concat(Replicas.Select(r => r.Name));
}

public sealed class WebNodeDraft
{
    /// <summary>The node spec this row came from; a new row starts from the defaults.</summary>
    public WebNodeSpec? Origin { get; init; }
    public string Name { get; set; } = "";
    public int Weight { get; set; } = 100;

    public WebNodeSpec ToSpec() => (Origin ?? new() { Name = "" }) with { Name = Name.Trim(), Weight = Weight };
}

public sealed class RouterNodeDraft
{
    public RouterNodeSpec? Origin { get; init; }
    public string Name { get; set; } = "";

    public RouterNodeSpec ToSpec() => (Origin ?? new() { Name = "" }) with { Name = Name.Trim() };
}

public sealed class DbNodeDraft
{
    public DbNodeSpec? Origin { get; init; }
    public string Name { get; set; } = "";
    public int Priority { get; set; }

    public DbNodeSpec ToSpec() => (Origin ?? new() { Name = "" }) with { Name = Name.Trim(), Priority = Priority };
}

public sealed class QueryRuleDraft
{
    /// <summary>Select value for a chaining rule that leaves the destination unchanged.</summary>
    public const string NoDestination = "";

    public int Id { get; set; }
    public bool Active { get; set; } = true;
    public string? Username { get; set; }
    public string? Schemaname { get; set; }
    public int FlagIn { get; set; }
    public string? MatchDigest { get; set; }
    public string? MatchPattern { get; set; }
    public bool NegateMatchPattern { get; set; }
    public int? FlagOut { get; set; }
    public string Destination { get; set; } = "reader";
    public bool Apply { get; set; } = true;
    public string? Comment { get; set; }

    public static QueryRuleDraft From(QueryRuleSpec r) => new()
    {
        Id = r.Id, Active = r.Active, Username = r.Username, Schemaname = r.Schemaname, FlagIn = r.FlagIn,
        MatchDigest = r.MatchDigest, MatchPattern = r.MatchPattern, NegateMatchPattern = r.NegateMatchPattern,
        FlagOut = r.FlagOut, Destination = r.Destination ?? NoDestination, Apply = r.Apply, Comment = r.Comment,
    };

    public QueryRuleSpec ToSpec() => new()
    {
        Id = Id, Active = Active, Username = Username, Schemaname = Schemaname, FlagIn = FlagIn,
        MatchDigest = Blank(MatchDigest), MatchPattern = Blank(MatchPattern), NegateMatchPattern = NegateMatchPattern,
        FlagOut = FlagOut, Destination = Destination == NoDestination ? null : Destination, Apply = Apply, Comment = Blank(Comment),
    };

    private static string? Blank(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
