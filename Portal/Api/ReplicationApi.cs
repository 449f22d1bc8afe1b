using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using HaPortal.Core.Replication;
using HaPortal.Core.Security;
using HaPortal.Security;

namespace HaPortal.Api;

/// <summary>
/// Replication of a stored topology over HTTP: status with drift, switchover pre-checks, switchover, failover, rejoin.
/// Until the deploy provides endpoints, they come from settings: <c>Replication:Endpoints:{topology}:{node}</c> =
/// <c>host:port</c>; credentials from the environment variables named by <c>Replication:AdminUserEnv</c>,
/// <c>AdminPasswordEnv</c>, <c>ReplUserEnv</c>, <c>ReplPasswordEnv</c> (defaults as on the command line).
/// A refused or failed operation answers 409 with the full result (checks, timeline, reasons).
/// </summary>
public static class ReplicationApi
{
    /// <summary>Without a SQL router the writer is the stored primary; one instance so it is the same for every request.</summary>
    private static readonly NoRouterSwitch Routing = new();

    public static void MapReplicationApi(this RouteGroupBuilder api)
    {
        var r = api.MapGroup("/topologies/{name}/replication");

        r.MapGet("/", (string name, HttpContext http, CancellationToken ct) => WithClusterAsync(name, http, ct, async (cluster, ops) =>
        {
            var view = await ops.StatusAsync(cluster, ct);
            return Results.Ok(new { topology = cluster.Topology, expectedPrimary = cluster.ExpectedPrimary, at = view.At, nodes = view.Nodes, drift = view.Drift() });
        }));

        r.MapGet("/switchover-checks", (string name, string to, HttpContext http, CancellationToken ct) => WithClusterAsync(name, http, ct, async (cluster, ops) =>
        {
            var (_, checks) = await ops.CheckSwitchoverAsync(cluster, to, ct);
            return Results.Ok(new { passed = checks.All(c => c.Passed), checks });
        }));

        r.MapPost("/switchover", (string name, string to, HttpContext http, CancellationToken ct) => WithClusterAsync(name, http, ct, async (cluster, ops) =>
            cluster.Find(to) is null || to == cluster.ExpectedPrimary
                ? ApiProblems.Invalid("to", $"'{to}' is not a replica of '{name}'.")
                : Outcome(await ops.SwitchoverAsync(cluster, to, Actor.From(http.User), ct))))
            .RequireAuthorization(Policies.CanChange);

        r.MapPost("/failover", (string name, HttpContext http, CancellationToken ct) => WithClusterAsync(name, http, ct, async (cluster, ops) =>
            Outcome(await ops.FailoverAsync(cluster, Actor.From(http.User), ct))))
            .RequireAuthorization(Policies.CanChange);

        r.MapPost("/rejoin/{node}", (string name, string node, HttpContext http, CancellationToken ct) => WithClusterAsync(name, http, ct, async (cluster, ops) =>
            cluster.Find(node) is null
                ? ApiProblems.Invalid("node", $"'{name}' has no database node '{node}'.")
                : Outcome(await ops.RejoinAsync(cluster, node, Actor.From(http.User), ct))))
            .RequireAuthorization(Policies.CanChange);
    }

    private static IResult Outcome(ReplicationOperationResult result) =>
        result.Succeeded ? Results.Ok(result) : Results.Json(result, statusCode: StatusCodes.Status409Conflict);

    private static async Task<IResult> WithClusterAsync(string name, HttpContext http, CancellationToken ct,
        Func<ReplicationCluster, ReplicationOperations, Task<IResult>> action)
    {
        var services = http.RequestServices;
        var store = services.GetRequiredService<TopologyStore>();
        var stored = await store.GetAsync(name, ct: ct);
        if (stored is null) return Results.Problem($"No topology named '{name}'.", statusCode: StatusCodes.Status404NotFound);

        var config = services.GetRequiredService<IConfiguration>().GetSection("Replication");
        var problems = new List<ApiProblems.Problem>();
        var specs = config.GetSection($"Endpoints:{name}").GetChildren().Select(c => $"{c.Key}={c.Value}");
        var (endpoints, endpointProblems) = EndpointSpec.Parse(specs);
        problems.AddRange(endpointProblems.Select(p => new ApiProblems.Problem($"Replication:Endpoints:{name}", p)));
        var (cluster, clusterProblems) = ReplicationCluster.From(stored.Spec, endpoints);
        problems.AddRange(clusterProblems.Select(p => new ApiProblems.Problem($"Replication:Endpoints:{name}", p)));
        var (credentials, credentialProblems) = EndpointSpec.FromEnvironment(
            config["AdminUserEnv"] ?? "HAPORTAL_DB_ADMIN_USER", config["AdminPasswordEnv"] ?? "HAPORTAL_DB_ADMIN_PASSWORD",
            config["ReplUserEnv"] ?? "HAPORTAL_DB_REPL_USER", config["ReplPasswordEnv"] ?? "HAPORTAL_DB_REPL_PASSWORD");
        problems.AddRange(credentialProblems.Select(p => new ApiProblems.Problem("Replication:credentials", p)));
        if (problems.Count > 0 || cluster is null || credentials is null) return ApiProblems.Invalid(problems);

        var control = new MySqlReplicationControl(credentials, cluster.Flavor);
        var time = services.GetRequiredService<TimeProvider>();
        var ops = new ReplicationOperations(control, new ReadOnlyFencing(control), Routing, time, null, store, services.GetRequiredService<AuditLog>());
        return await action(cluster, ops);
    }
}
