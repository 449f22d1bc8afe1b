using System.Collections.Immutable;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Replication;

/// <summary>
/// Where the portal reaches a database node (<see cref="Host"/>:<see cref="Port"/>) and where other nodes reach it to
/// replicate (<see cref="SourceHost"/>:<see cref="SourcePort"/>; the same unless a network namespace differs, as with
/// containers on a private network).
/// </summary>
public sealed record DbEndpoint(string Name, string Host, int Port)
{
    public string? ReplicationHost { get; init; }
    public int? ReplicationPort { get; init; }
    public string SourceHost => ReplicationHost ?? Host;
    public int SourcePort => ReplicationPort ?? Port;
    public override string ToString() => $"{Name} ({Host}:{Port})";
}

/// <summary>Logins used by the replication adapter: an administrative one for the portal, and the one replicas use.</summary>
public sealed record ReplicationCredentials(string AdminUser, string AdminPassword, string ReplicationUser, string ReplicationPassword)
{
    public override string ToString() => $"admin={AdminUser}, replication={ReplicationUser}"; // never the passwords
}

/// <summary>A database node of a topology as the replication services see it: name, failover preference, endpoint.</summary>
public sealed record ClusterNode(string Name, int Priority, DbEndpoint Endpoint);

/// <summary>The database tier to operate: the stored topology's view (who should be primary) and how to reach each node.</summary>
public sealed record ReplicationCluster(string Topology, DatabaseFlavor Flavor, string ExpectedPrimary, ImmutableArray<ClusterNode> Nodes)
{
    public ClusterNode? Find(string name) => Nodes.FirstOrDefault(n => n.Name == name);

    public ClusterNode Get(string name) =>
        Find(name) ?? throw new ArgumentException($"Topology '{Topology}' has no database node '{name}'.", nameof(name));

    /// <summary>
    /// Builds the cluster from a stored topology and an endpoint per node. Returns the problems (node without an
    /// endpoint, endpoint for an unknown node) instead when there are any.
    /// </summary>
    public static (ReplicationCluster? Cluster, IReadOnlyList<string> Problems) From(TopologySpec spec, IReadOnlyDictionary<string, DbEndpoint> endpoints)
    {
        var problems = new List<string>();
        var db = spec.Database;
        if (db.Primary is null) problems.Add($"Topology '{spec.Name}' has no database primary.");
        var specNodes = (db.Primary is null ? [] : new[] { db.Primary }).Concat(db.Replicas).ToList();
        foreach (var n in specNodes.Where(n => !endpoints.ContainsKey(n.Name)))
            problems.Add($"Database node '{n.Name}': no endpoint given (for example --node {n.Name}=127.0.0.1:3306).");
        foreach (var name in endpoints.Keys.Where(k => specNodes.All(n => n.Name != k)))
            problems.Add($"Endpoint '{name}': topology '{spec.Name}' has no database node of that name.");
        if (problems.Count > 0) return (null, problems);
        return (new ReplicationCluster(spec.Name, db.Flavor, db.Primary!.Name,
            [.. specNodes.Select(n => new ClusterNode(n.Name, n.Priority, endpoints[n.Name] with { Name = n.Name }))]), problems);
    }
}

public enum ObservedRole { Unreachable, Primary, Replica, ReadOnlyStandalone }

/// <summary>A replica's replication threads as <c>SHOW SLAVE STATUS</c> (MariaDB) or <c>SHOW REPLICA STATUS</c> (MySQL) reports them.</summary>
public sealed record ReplicaStatus(
    string SourceHost, int SourcePort, long SourceServerId,
    string IoRunning, string SqlRunning, long? SecondsBehind,
    string LastIoError, string LastSqlError, string ReceivedPos, string UsingGtid)
{
    public bool IoOk => IoRunning == "Yes";
    public bool SqlOk => SqlRunning == "Yes";
    public bool Replicating => IoOk && SqlOk;
}

/// <summary>One node's observed replication state at one moment. <see cref="Error"/> says why an unreachable node could not be read.</summary>
public sealed record NodeStatus(string Name, DbEndpoint Endpoint, bool Reachable, string? Error)
{
    public long ServerId { get; init; }
    public string Version { get; init; } = "";
    public bool ReadOnly { get; init; }
    public string CurrentPos { get; init; } = "";
    public string BinlogPos { get; init; } = "";
    public string SlavePos { get; init; } = "";

    /// <summary>gtid_binlog_state (MariaDB) or gtid_executed (MySQL): what the node's binlog holds, per domain and server.</summary>
    public string BinlogState { get; init; } = "";
    public ReplicaStatus? Replica { get; init; }

    public ObservedRole Role => !Reachable ? ObservedRole.Unreachable
        : Replica is not null ? ObservedRole.Replica
        : ReadOnly ? ObservedRole.ReadOnlyStandalone : ObservedRole.Primary;

    public static NodeStatus Unreachable(DbEndpoint endpoint, string error) => new(endpoint.Name, endpoint, false, error);
}
