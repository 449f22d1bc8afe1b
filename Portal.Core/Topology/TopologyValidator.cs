using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace HaPortal.Core.Topology;

/// <summary>
/// Checks a topology and reports every problem at once, each with the field it belongs to and how to fix it.
/// Pure: no I/O, so the editor can run it on every keystroke.
/// </summary>
public static partial class TopologyValidator
{
    public const int MaxWeight = 256;

    // An RFC 1123 host name label in lower case: also a valid Docker container and network name.
    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex HostLabel();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex SqlIdentifier();

    // RFC 6265 cookie-name token: visible ASCII without separators.
    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$")]
    private static partial Regex CookieName();

    [GeneratedRegex(@"^/[A-Za-z0-9\-._~/%?=&]*$")]
    private static partial Regex HttpPath();

    public const string ReservedTopologyName = "new";

    public static ValidationReport Validate(TopologySpec spec)
    {
        var p = new List<ValidationProblem>();
        CheckName(p, "name", spec.Name, "topology");
        // The portal's own path /topologies/new would shadow a topology of that name.
        if (spec.Name == ReservedTopologyName)
            p.Add(new("name", $"'{ReservedTopologyName}' is reserved by the portal (/topologies/{ReservedTopologyName}); choose another name."));
        CheckLoadBalancer(p, spec.LoadBalancer);
        CheckWeb(p, spec.Web);
        if (spec.SqlRouter is { } router) CheckRouter(p, router);
        CheckReadRouting(p, spec);
        CheckDatabase(p, spec.Database);
        CheckUniqueNames(p, spec);
        CheckPublishedPorts(p, spec);
        // A value outside the enum only arrives through the JSON API (the file reader reports its own).
        if (spec.Deploy is not { } deploy || !Enum.IsDefined(deploy.Target))
            p.Add(new("deploy.target", $"'{spec.Deploy?.Target}' is not a deploy target; use docker (one engine) or swarm (services on a Docker Swarm)."));
        return new ValidationReport(p);
    }

    private static void CheckLoadBalancer(List<ValidationProblem> p, LoadBalancerSpec lb)
    {
        if (lb.Kind != "haproxy")
            p.Add(new("loadBalancer.kind", $"'{lb.Kind}' is not supported; use 'haproxy'."));
        CheckPort(p, "loadBalancer.publishPort", lb.PublishPort);
        if (lb.StickySessions.Enabled && !CookieName().IsMatch(lb.StickySessions.Cookie ?? ""))
            p.Add(new("loadBalancer.stickySessions.cookie",
                $"'{lb.StickySessions.Cookie}' is not a valid cookie name; use letters, digits, '-' or '_' (for example SERVERID)."));
        if (lb.StickySessions is { Enabled: true, Mode: StickyMode.Rewrite, Indirect: true })
            p.Add(new("loadBalancer.stickySessions.indirect", "HAProxy does not allow 'indirect' with the rewrite mode; turn indirect off or use insert."));
        var hc = lb.HealthCheck;
        if (!HttpPath().IsMatch(hc.Path ?? ""))
            p.Add(new("loadBalancer.healthCheck.path", $"'{hc.Path}' is not a URL path; it must start with '/' (for example /health)."));
        CheckRange(p, "loadBalancer.healthCheck.intervalMs", hc.IntervalMs, 100, 3_600_000, "milliseconds");
        CheckRange(p, "loadBalancer.healthCheck.rise", hc.Rise, 1, 100, "consecutive checks");
        CheckRange(p, "loadBalancer.healthCheck.fall", hc.Fall, 1, 100, "consecutive checks");
        CheckRange(p, "loadBalancer.healthCheck.expectStatus", hc.ExpectStatus, 100, 599, "(HTTP status code)");
        if (lb.Stats.Enabled) CheckPort(p, "loadBalancer.stats.publishPort", lb.Stats.PublishPort);
    }

    private static void CheckWeb(List<ValidationProblem> p, WebTierSpec web)
    {
        if (web.Nodes.Length == 0)
            p.Add(new("web.nodes", "At least one web node is required; add one (for example web1)."));
        else if (web.Nodes.Length == 1)
            p.Add(ValidationProblem.Warn("web.nodes", "Only one web node: it is a single point of failure. Add a second node."));
        for (var i = 0; i < web.Nodes.Length; i++)
        {
            var node = web.Nodes[i];
            CheckName(p, $"web.nodes[{i}].name", node.Name, "web node");
            CheckRange(p, $"web.nodes[{i}].weight", node.Weight, 0, MaxWeight, "(HAProxy server weight)");
        }
        if (web.Nodes.Length > 0 && web.Nodes.All(n => n.Weight == 0))
            p.Add(new("web.nodes", "Every web node has weight 0, so no node would receive traffic; give at least one a weight above 0."));
        else if (web.Nodes.Length > 0 && web.Nodes.All(n => n.State != WebNodeState.Ready))
            p.Add(ValidationProblem.Warn("web.nodes", "Every web node is in drain or maint, so no new visitor is served; set at least one to ready."));
    }

    private static void CheckRouter(List<ValidationProblem> p, SqlRouterSpec router)
    {
        if (router.Kind != "proxysql")
            p.Add(new("sqlRouter.kind", $"'{router.Kind}' is not supported; use 'proxysql', or remove sqlRouter to connect to the primary directly."));
        if (router.Nodes.Length == 0)
            p.Add(new("sqlRouter.nodes", "A SQL router needs at least one node; add one (for example proxysql1) or remove sqlRouter."));
        for (var i = 0; i < router.Nodes.Length; i++)
            CheckName(p, $"sqlRouter.nodes[{i}].name", router.Nodes[i].Name, "router node");

        if (router.VirtualIp is { } vip)
        {
            if (!IPAddress.TryParse(vip, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork || vip.Count(c => c == '.') != 3)
                p.Add(new("sqlRouter.virtualIp", $"'{vip}' is not an IPv4 address; use one free address of the stack's network, or null."));
            if (router.Nodes.Length < 2)
                p.Add(ValidationProblem.Warn("sqlRouter.virtualIp", "A virtual IP over one router node protects nothing; add a second node."));
        }
        else if (router.Nodes.Length > 1)
        {
            // Web nodes have one database endpoint; without a virtual IP there is nothing to move between the nodes.
            p.Add(new("sqlRouter.virtualIp",
                "Two or more ProxySQL nodes need a virtual IP: the web nodes connect to it and keepalived moves it to a live node. Set one free address (for example 10.89.0.100)."));
        }
        else if (router.Nodes.Length == 1)
        {
            p.Add(ValidationProblem.Warn("sqlRouter.nodes",
                "One ProxySQL node without a virtual IP is a single point of failure; add a second node and a virtualIp."));
        }

        var hg = router.Hostgroups;
        CheckRange(p, "sqlRouter.hostgroups.writer", hg.Writer, 0, int.MaxValue, "");
        CheckRange(p, "sqlRouter.hostgroups.reader", hg.Reader, 0, int.MaxValue, "");
        if (hg.Writer == hg.Reader)
            p.Add(new("sqlRouter.hostgroups.reader", $"The reader hostgroup must differ from the writer hostgroup ({hg.Writer})."));

        var seen = new Dictionary<int, int>();
        for (var i = 0; i < router.QueryRules.Length; i++)
        {
            var rule = router.QueryRules[i];
            var at = $"sqlRouter.queryRules[{i}]";
            if (rule.Id < 1)
                p.Add(new($"{at}.id", $"Rule id {rule.Id} is out of range; use a positive number."));
            else if (!seen.TryAdd(rule.Id, i))
                p.Add(new($"{at}.id", $"Rule id {rule.Id} is already used by queryRules[{seen[rule.Id]}]; rule ids must be unique."));
            CheckRegex(p, $"{at}.matchDigest", rule.MatchDigest);
            CheckRegex(p, $"{at}.matchPattern", rule.MatchPattern);
            if (rule.Destination is not null && rule.ResolveDestination(hg) is null)
                p.Add(new($"{at}.destination",
                    $"'{rule.Destination}' is not a known hostgroup; use writer ({hg.Writer}) or reader ({hg.Reader})."));
            if (rule.FlagIn < 0) p.Add(new($"{at}.flagIn", "flagIn cannot be negative."));
            if (rule.FlagOut is < 0) p.Add(new($"{at}.flagOut", "flagOut cannot be negative."));
        }
    }

    /// <summary>Read fallback and read-your-writes: options across the web tier and the router.</summary>
    private static void CheckReadRouting(List<ValidationProblem> p, TopologySpec spec)
    {
        CheckRange(p, "web.readYourWritesSeconds", spec.Web.ReadYourWritesSeconds, 0, 3600, "seconds (0 = off)");
        if (spec.SqlRouter is not { } router) return;
        if (ReadYourWritesRule.IsOn(spec))
            for (var i = 0; i < router.QueryRules.Length; i++)
                if (router.QueryRules[i].Id == ReadYourWritesRule.RuleId)
                    p.Add(new($"sqlRouter.queryRules[{i}].id",
                        $"Rule id {ReadYourWritesRule.RuleId} is reserved for the read-your-writes rule while web.readYourWritesSeconds is above 0; give this rule another id."));
        var fallback = router.ReadFallback;
        if (!fallback.Enabled) return;
        CheckRange(p, "sqlRouter.readFallback.weight", fallback.Weight, 1, MaxProxySqlWeight, "(ProxySQL server weight)");
        if (fallback.Weight >= ReplicaWeight)
            p.Add(ValidationProblem.Warn("sqlRouter.readFallback.weight",
                $"Weight {fallback.Weight} is not low: replicas have {ReplicaWeight}, so the primary would take a full share of the reads. Use 1–10."));
        if (!router.WriterIsAlsoReader)
            p.Add(new("sqlRouter.readFallback.enabled",
                "The read fallback needs writerIsAlsoReader: true; with false ProxySQL's monitor takes the writer out of the reader hostgroup, fallback row included."));
    }

    /// <summary>ProxySQL's largest mysql_servers.weight.</summary>
    public const int MaxProxySqlWeight = 10_000_000;

    /// <summary>Weight the renderer gives every backend (Rendering.ProxySqlRenderer.ServerWeight).</summary>
    public const int ReplicaWeight = 1000;

    private static void CheckDatabase(List<ValidationProblem> p, DatabaseSpec db)
    {
        if (string.IsNullOrWhiteSpace(db.Version))
            p.Add(new("database.version", "The server version is required (for example 10.11 for MariaDB, 8.0 for MySQL)."));
        if (db.Primary is null)
            p.Add(new("database.primary", "A primary is required; add database.primary with a name (for example db1)."));
        else
            CheckName(p, "database.primary.name", db.Primary.Name, "database node");
        for (var i = 0; i < db.Replicas.Length; i++)
            CheckName(p, $"database.replicas[{i}].name", db.Replicas[i].Name, "database node");
        if (db.Replicas.Length == 0)
            p.Add(ValidationProblem.Warn("database.replicas",
                "No replica: the primary is a single point of failure and there is nothing to fail over to. Add a replica."));
        if (db.SemiSync && db.Replicas.Length == 0)
            p.Add(new("database.semiSync", "Semi-synchronous replication needs at least one replica; add one or turn semiSync off."));
        if (!SqlIdentifier().IsMatch(db.AppSchema ?? ""))
            p.Add(new("database.appSchema", $"'{db.AppSchema}' is not a valid schema name; use letters, digits and '_' (at most 64)."));
        if (!SqlIdentifier().IsMatch(db.AppUser ?? "") || db.AppUser!.Length > 32)
            p.Add(new("database.appUser", $"'{db.AppUser}' is not a valid user name; use letters, digits and '_' (at most 32)."));
        CheckAutoFailover(p, db);
    }

    private static void CheckUniqueNames(List<ValidationProblem> p, TopologySpec spec)
    {
        var firstPath = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, name, _) in spec.AllNodes())
        {
            if (string.IsNullOrEmpty(name)) continue; // reported as an empty name already
            if (!firstPath.TryAdd(name, path))
                p.Add(new(path, $"The name '{name}' is already used by {firstPath[name]}; every node needs its own name."));
        }
    }

    private static void CheckPublishedPorts(List<ValidationProblem> p, TopologySpec spec)
    {
        var lb = spec.LoadBalancer;
        if (lb.Stats.Enabled && lb.Stats.PublishPort == lb.PublishPort)
            p.Add(new("loadBalancer.stats.publishPort",
                $"Port {lb.PublishPort} is already used by the load balancer (loadBalancer.publishPort); pick another port for the stats page."));
    }

    private static void CheckName(List<ValidationProblem> p, string path, string? name, string what)
    {
        if (string.IsNullOrWhiteSpace(name))
            p.Add(new(path, $"The {what} needs a name."));
        else if (!HostLabel().IsMatch(name))
            p.Add(new(path, $"'{name}' is not a valid {what} name; use lower-case letters, digits and '-', at most 63, not starting or ending with '-'."));
    }

    private static void CheckPort(List<ValidationProblem> p, string path, int port) =>
        CheckRange(p, path, port, 1, 65535, "(a TCP port)");

    private static void CheckAutoFailover(List<ValidationProblem> p, DatabaseSpec db)
    {
        var a = db.AutoFailover;
        CheckRange(p, "database.autoFailover.checks", a.Checks, 1, 100, "consecutive checks");
        CheckRange(p, "database.autoFailover.intervalMs", a.IntervalMs, 100, 600_000, "milliseconds");
        CheckRange(p, "database.autoFailover.antiFlapWindowSeconds", a.AntiFlapWindowSeconds, 0, 86_400, "seconds");
        if (a.Enabled && db.Replicas.Length == 0)
            p.Add(new("database.autoFailover.enabled", "Automatic failover needs at least one replica to promote; add one or turn it off."));
    }

    private static void CheckRange(List<ValidationProblem> p, string path, int value, int min, int max, string unit)
    {
        if (value < min || value > max)
            p.Add(new(path, max == int.MaxValue
                ? $"{value} is out of range; use {min} or more."
                : $"{value} is out of range; use {min}–{max} {unit}".TrimEnd() + "."));
    }

    private static void CheckRegex(List<ValidationProblem> p, string path, string? pattern)
    {
        if (pattern is null) return;
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException e)
        {
            p.Add(new(path, $"The regular expression does not compile: {e.Message.Split('\n')[0]} Fix the pattern."));
        }
    }
}
