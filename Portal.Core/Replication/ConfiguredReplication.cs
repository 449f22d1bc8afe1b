using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using Microsoft.Extensions.Configuration;

namespace HaPortal.Core.Replication;

/// <summary>A stored topology's database tier ready to operate, or why it is not.</summary>
public sealed record ReplicationTarget(ReplicationCluster? Cluster, ReplicationOperations? Operations, bool TopologyExists, IReadOnlyList<(string Field, string Message)> Problems,
    IReplicationControl? Control = null);

/// <summary>Finds how to operate a stored topology's database tier (its deployed containers, see <see cref="DeployedReplication"/>, or settings).</summary>
public interface IReplicationResolver
{
    Task<ReplicationTarget> ResolveAsync(string topology, CancellationToken ct);
}

/// <summary>
/// Builds the replication services for a stored topology from settings (a stack the portal did not deploy):
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
        // A local process named by Replication:PidFiles can be fenced even when it no longer answers.
        var pidFiles = config.GetSection($"PidFiles:{topology}").GetChildren().Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);
        IFencing fencing = pidFiles.Count > 0 ? new FirstConfirmedFencing(new ReadOnlyFencing(control), new LocalProcessFencing(pidFiles)) : new ReadOnlyFencing(control);
        return new(cluster, new ReplicationOperations(control, fencing, routing, time, null, store, audit), true, [], control);
    }

    /// <summary>
    /// What a drill needs beyond <see cref="ResolveAsync"/>: the application login the load writes with (environment
    /// variables named by <c>Replication:AppUserEnv</c>/<c>AppPasswordEnv</c>, defaults HAPORTAL_DB_APP_USER/PASSWORD)
    /// and, for kill and pause on local processes, <c>Replication:PidFiles:{topology}:{node}</c>.
    /// </summary>
    public async Task<(DrillSetup? Setup, ReplicationTarget Target, IReadOnlyList<(string Field, string Message)> Problems)> ResolveDrillAsync(
        string topology, DrillKind kind, CancellationToken ct)
    {
        var target = await ResolveAsync(topology, ct).ConfigureAwait(false);
        var problems = target.Problems.ToList();
        var config = configuration.GetSection("Replication");
        string Env(string key, string fallback, string field)
        {
            var name = config[key] ?? fallback;
            var value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(value)) problems.Add((field, $"environment variable {name} is not set."));
            return value ?? "";
        }
        var user = Env("AppUserEnv", "HAPORTAL_DB_APP_USER", "Replication:app credentials");
        var password = Env("AppPasswordEnv", "HAPORTAL_DB_APP_PASSWORD", "Replication:app credentials");
        var pidFiles = config.GetSection($"PidFiles:{topology}").GetChildren().Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);
        if (kind != DrillKind.Switchover && target.Cluster is not null)
            foreach (var n in target.Cluster.Nodes.Where(n => !pidFiles.ContainsKey(n.Name)))
                problems.Add(($"Replication:PidFiles:{topology}:{n.Name}", $"a {kind.ToString().ToLowerInvariant()} drill needs the pid file of {n.Name}."));
        if (problems.Count > 0 || target.Operations is null || target.Control is null || routing is not NoRouterSwitch noRouter) return (null, target, problems);
        var stored = await store.GetAsync(topology, ct: ct).ConfigureAwait(false);
        var setup = new DrillSetup(target.Operations, target.Control, noRouter,
            e => new MySqlConnector.MySqlConnectionStringBuilder { Server = e.Host, Port = (uint)e.Port, UserID = user, Password = password, ConnectionTimeout = 2, Pooling = false }.ConnectionString,
            stored!.Spec.Database.AppSchema, pidFiles.Count > 0 ? new LocalProcessDisruption(pidFiles) : null, pidFiles.Count > 0 ? new LocalProcessRestore(pidFiles) : null);
        return (setup, target, []);
    }
}
