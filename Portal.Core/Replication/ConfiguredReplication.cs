using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using Microsoft.Extensions.Configuration;

namespace HaPortal.Core.Replication;

/// <summary>A stored topology's database tier ready to operate, or why it is not.</summary>
public sealed record ReplicationTarget(ReplicationCluster? Cluster, ReplicationOperations? Operations, bool TopologyExists, IReadOnlyList<(string Field, string Message)> Problems,
    IReplicationControl? Control = null);

/// <summary>Finds how to operate a stored topology's database tier (settings today; the deployed stack's endpoints later).</summary>
public interface IReplicationResolver
{
    Task<ReplicationTarget> ResolveAsync(string topology, CancellationToken ct);
}

/// <summary>
/// Builds the replication services for a stored topology from settings, until the deploy provides endpoints:
/// <c>Replication:Endpoints:{topology}:{node}</c> = <c>host:port</c>; credentials from the environment variables named by
/// <c>Replication:AdminUserEnv</c>, <c>AdminPasswordEnv</c>, <c>ReplUserEnv</c>, <c>ReplPasswordEnv</c>
/// (defaults HAPORTAL_DB_ADMIN_USER, HAPORTAL_DB_ADMIN_PASSWORD, HAPORTAL_DB_REPL_USER, HAPORTAL_DB_REPL_PASSWORD).
/// Without a SQL router the writer is recorded by <paramref name="routing"/>; fencing sets read_only on a reachable node.
/// </summary>
public sealed class ConfiguredReplication(IConfiguration configuration, TopologyStore store, AuditLog audit, TimeProvider time, IRoutingSwitch routing) : IReplicationResolver
{
    public async Task<ReplicationTarget> ResolveAsync(string topology, CancellationToken ct)
    {
        var stored = await store.GetAsync(topology, ct: ct).ConfigureAwait(false);
        if (stored is null) return new(null, null, false, [("name", $"No topology named '{topology}'.")]);
        var config = configuration.GetSection("Replication");
        var field = $"Replication:Endpoints:{topology}";
        var problems = new List<(string, string)>();
        var (endpoints, endpointProblems) = EndpointSpec.Parse(config.GetSection($"Endpoints:{topology}").GetChildren().Select(c => $"{c.Key}={c.Value}"));
        problems.AddRange(endpointProblems.Select(p => (field, p)));
        var (cluster, clusterProblems) = ReplicationCluster.From(stored.Spec, endpoints);
        problems.AddRange(clusterProblems.Select(p => (field, p)));
        var (credentials, credentialProblems) = EndpointSpec.FromEnvironment(
            config["AdminUserEnv"] ?? "HAPORTAL_DB_ADMIN_USER", config["AdminPasswordEnv"] ?? "HAPORTAL_DB_ADMIN_PASSWORD",
            config["ReplUserEnv"] ?? "HAPORTAL_DB_REPL_USER", config["ReplPasswordEnv"] ?? "HAPORTAL_DB_REPL_PASSWORD");
        problems.AddRange(credentialProblems.Select(p => ("Replication:credentials", p)));
        if (problems.Count > 0 || cluster is null || credentials is null) return new(null, null, true, problems);
        var control = new MySqlReplicationControl(credentials, cluster.Flavor);
        return new(cluster, new ReplicationOperations(control, new ReadOnlyFencing(control), routing, time, null, store, audit), true, [], control);
    }
}
