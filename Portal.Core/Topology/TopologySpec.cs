using System.Collections.Immutable;

namespace HaPortal.Core.Topology;

/// <summary>
/// The desired state of one stack: HAProxy → web nodes → (optional) ProxySQL → primary + replicas.
/// Immutable; an edit is a new value. Field names follow the topology file (see TopologyYaml).
/// Values are not guaranteed valid: run <see cref="TopologyValidator"/> before acting on one.
/// </summary>
public sealed record TopologySpec
{
    public required string Name { get; init; }
    public LoadBalancerSpec LoadBalancer { get; init; } = new();
    public WebTierSpec Web { get; init; } = new();

    /// <summary>Null when the web nodes talk to the primary directly.</summary>
    public SqlRouterSpec? SqlRouter { get; init; }

    public DatabaseSpec Database { get; init; } = new();

    /// <summary>Where the stack runs: one Docker engine (default) or a Docker Swarm.</summary>
    public DeploySpec Deploy { get; init; } = new();

    /// <summary>Every node of the stack with the path of its name field, in tier order.</summary>
    public IEnumerable<(string Path, string Name, NodeRole Role)> AllNodes()
    {
        for (var i = 0; i < Web.Nodes.Length; i++)
            yield return ($"web.nodes[{i}].name", Web.Nodes[i].Name, NodeRole.Web);
        if (SqlRouter is not null)
            for (var i = 0; i < SqlRouter.Nodes.Length; i++)
                yield return ($"sqlRouter.nodes[{i}].name", SqlRouter.Nodes[i].Name, NodeRole.Router);
        if (Database.Primary is not null)
            yield return ("database.primary.name", Database.Primary.Name, NodeRole.Primary);
        for (var i = 0; i < Database.Replicas.Length; i++)
            yield return ($"database.replicas[{i}].name", Database.Replicas[i].Name, NodeRole.Replica);
    }

    // Records compare ImmutableArray by reference; topology equality must compare contents.
    public bool Equals(TopologySpec? other) =>
        other is not null && Name == other.Name && LoadBalancer.Equals(other.LoadBalancer)
        && Web.Equals(other.Web) && Equals(SqlRouter, other.SqlRouter) && Database.Equals(other.Database)
        && Deploy.Equals(other.Deploy);

    public override int GetHashCode() => HashCode.Combine(Name, LoadBalancer, Web, SqlRouter, Database, Deploy);
}

/// <summary>
/// <see cref="Docker"/>: containers on one engine. <see cref="Swarm"/>: services on a Swarm's overlay networks, web and
/// database nodes spread over the Swarm's nodes (docs/decisions/0009-swarm-services-per-node.md).
/// </summary>
public enum DeployTarget { Docker, Swarm }

public sealed record DeploySpec
{
    public DeployTarget Target { get; init; } = DeployTarget.Docker;
}

public enum NodeRole { LoadBalancer, Web, Router, Primary, Replica }

public enum BalanceAlgorithm { RoundRobin, LeastConn, Source }

public enum StickyMode { Insert, Rewrite, Prefix }

/// <summary>An operator's admin state of a web node in HAProxy: takes traffic, only its sticky sessions, or none.</summary>
public enum WebNodeState { Ready, Drain, Maint }

public enum DatabaseFlavor { MariaDb, MySql }

public sealed record LoadBalancerSpec
{
    public string Kind { get; init; } = "haproxy";
    public int PublishPort { get; init; } = 8080;
    public BalanceAlgorithm Balance { get; init; } = BalanceAlgorithm.RoundRobin;
    public StickySessionSpec StickySessions { get; init; } = new();
    public HealthCheckSpec HealthCheck { get; init; } = new();
    public StatsSpec Stats { get; init; } = new();
}

public sealed record StickySessionSpec
{
    public bool Enabled { get; init; } = true;
    public string Cookie { get; init; } = "SERVERID";
    public StickyMode Mode { get; init; } = StickyMode.Insert;

    /// <summary>HAProxy's <c>indirect</c>: no cookie is sent to a client that already has a valid one (and in insert mode the server never sees it).</summary>
    public bool Indirect { get; init; } = true;

    /// <summary>HAProxy's <c>nocache</c>: responses that set the cookie are marked uncacheable, so a shared cache cannot hand one client's server to everyone.</summary>
    public bool NoCache { get; init; } = true;
}

public sealed record HealthCheckSpec
{
    public string Path { get; init; } = "/health";
    public int IntervalMs { get; init; } = 2000;
    public int Rise { get; init; } = 2;
    public int Fall { get; init; } = 3;

    /// <summary>The HTTP status a passing check answers with (<c>http-check expect status</c>).</summary>
    public int ExpectStatus { get; init; } = 200;
}

public sealed record StatsSpec
{
    public bool Enabled { get; init; } = true;

    /// <summary>Host port of the stats page; always bound to 127.0.0.1, never to all interfaces.</summary>
    public int PublishPort { get; init; } = 8404;
}

public sealed record WebTierSpec
{
    public ImmutableArray<WebNodeSpec> Nodes { get; init; } = [];

    /// <summary>
    /// Read-your-writes: for this many seconds after a visitor's write, the demo app sends that visitor's reads to the
    /// writer (through the router: marked for a rendered query rule; without one: to the write endpoint). 0 = off.
    /// </summary>
    public int ReadYourWritesSeconds { get; init; }

    public bool Equals(WebTierSpec? other) => other is not null && Nodes.SequenceEqual(other.Nodes) && ReadYourWritesSeconds == other.ReadYourWritesSeconds;
    public override int GetHashCode() => HashCode.Combine(Nodes.Length, ReadYourWritesSeconds);
}

public sealed record WebNodeSpec
{
    public required string Name { get; init; }

    /// <summary>HAProxy server weight, 0–256; 0 takes the node out of rotation without removing it.</summary>
    public int Weight { get; init; } = 100;

    /// <summary>Drain or maintenance set by an operator, kept here so a restart or redeploy starts the server in it.</summary>
    public WebNodeState State { get; init; } = WebNodeState.Ready;
}

public sealed record SqlRouterSpec
{
    public string Kind { get; init; } = "proxysql";
    public ImmutableArray<RouterNodeSpec> Nodes { get; init; } = [];

    /// <summary>IPv4 address keepalived holds in front of the router nodes; null for none.</summary>
    public string? VirtualIp { get; init; }

    public HostgroupSpec Hostgroups { get; init; } = new();
    public ImmutableArray<QueryRuleSpec> QueryRules { get; init; } = [];

    /// <summary>Keep the primary in the reader hostgroup at a low weight, so reads survive the loss of every replica.</summary>
    public ReadFallbackSpec ReadFallback { get; init; } = new();

    /// <summary>
    /// ProxySQL's mysql-monitor_writer_is_also_reader (its default: true): the server the monitor finds writable is
    /// also put in the reader hostgroup. False keeps the writer out of the reader hostgroup entirely.
    /// </summary>
    public bool WriterIsAlsoReader { get; init; } = true;

    public bool Equals(SqlRouterSpec? other) =>
        other is not null && Kind == other.Kind && Nodes.SequenceEqual(other.Nodes) && VirtualIp == other.VirtualIp
        && Hostgroups.Equals(other.Hostgroups) && QueryRules.SequenceEqual(other.QueryRules)
        && ReadFallback.Equals(other.ReadFallback) && WriterIsAlsoReader == other.WriterIsAlsoReader;

    public override int GetHashCode() => HashCode.Combine(Kind, Nodes.Length, VirtualIp, Hostgroups, QueryRules.Length, ReadFallback, WriterIsAlsoReader);
}

public sealed record ReadFallbackSpec
{
    public bool Enabled { get; init; }

    /// <summary>The primary's weight in the reader hostgroup; replicas have 1000, so 1 sends it about 1 read in 1000 while they live.</summary>
    public int Weight { get; init; } = 1;
}

public sealed record RouterNodeSpec
{
    public required string Name { get; init; }
}

public sealed record HostgroupSpec
{
    public int Writer { get; init; } = 10;
    public int Reader { get; init; } = 20;
}

/// <summary>One row of ProxySQL's mysql_query_rules, in the topology's vocabulary.</summary>
public sealed record QueryRuleSpec
{
    public required int Id { get; init; }
    public bool Active { get; init; } = true;
    public string? Username { get; init; }
    public string? Schemaname { get; init; }
    public int FlagIn { get; init; }
    public string? MatchDigest { get; init; }
    public string? MatchPattern { get; init; }
    public bool NegateMatchPattern { get; init; }
    public int? FlagOut { get; init; }

    /// <summary>"writer", "reader" or a hostgroup number; null leaves the destination unchanged (a chaining rule).</summary>
    public string? Destination { get; init; }

    public bool Apply { get; init; }
    public string? Comment { get; init; }

    /// <summary>The hostgroup number this rule routes to, or null when the destination names no known hostgroup.</summary>
    public int? ResolveDestination(HostgroupSpec hostgroups) => Destination switch
    {
        null => null,
        "writer" => hostgroups.Writer,
        "reader" => hostgroups.Reader,
        var s when int.TryParse(s, out var n) && (n == hostgroups.Writer || n == hostgroups.Reader) => n,
        _ => null,
    };
}

public sealed record DatabaseSpec
{
    public DatabaseFlavor Flavor { get; init; } = DatabaseFlavor.MariaDb;
    public string Version { get; init; } = "10.11";
    public DbNodeSpec? Primary { get; init; }
    public ImmutableArray<DbNodeSpec> Replicas { get; init; } = [];
    public bool SemiSync { get; init; }
    public string AppSchema { get; init; } = "app";

    /// <summary>Name of the application's database user, created on the primary and in ProxySQL.</summary>
    public string AppUser { get; init; } = "app";

    /// <summary>Automatic failover by the portal's monitor; off unless an operator turns it on for this topology.</summary>
    public AutoFailoverSpec AutoFailover { get; init; } = new();

    public bool Equals(DatabaseSpec? other) =>
        other is not null && Flavor == other.Flavor && Version == other.Version && Equals(Primary, other.Primary)
        && Replicas.SequenceEqual(other.Replicas) && SemiSync == other.SemiSync && AppSchema == other.AppSchema
        && AppUser == other.AppUser && AutoFailover.Equals(other.AutoFailover);

    public override int GetHashCode() => HashCode.Combine(Flavor, Version, Primary, Replicas.Length, SemiSync, AppSchema, AppUser, AutoFailover);
}

/// <summary>
/// When the portal fails over by itself: after <see cref="Checks"/> consecutive failed checks every
/// <see cref="IntervalMs"/>, confirmed by the replicas, and at most once per <see cref="AntiFlapWindowSeconds"/>.
/// </summary>
public sealed record AutoFailoverSpec
{
    public bool Enabled { get; init; }
    public int Checks { get; init; } = 3;
    public int IntervalMs { get; init; } = 1000;
    public int AntiFlapWindowSeconds { get; init; } = 600;
}

public sealed record DbNodeSpec
{
    public required string Name { get; init; }

    /// <summary>Failover preference among equally advanced replicas: higher wins.</summary>
    public int Priority { get; init; }
}
