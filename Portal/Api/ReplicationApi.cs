using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using HaPortal.Core.Replication;
using HaPortal.Core.Security;
using HaPortal.Security;

namespace HaPortal.Api;

/// <summary>
/// Replication of a stored topology over HTTP: status with drift, switchover pre-checks, switchover, failover, rejoin.
/// Endpoints and credentials come from the deployed containers, or from settings for a stack the portal did not deploy
/// (see <see cref="DeployedReplication"/>).
/// A refused or failed operation answers 409 with the full result (checks, timeline, reasons).
/// </summary>
public static class ReplicationApi
{
    public static void MapReplicationApi(this RouteGroupBuilder api)
    {
        var r = api.MapGroup("/topologies/{name}/replication");

        r.MapGet("/", (string name, HttpContext http, CancellationToken ct) => WithClusterAsync(name, http, ct, async (cluster, ops) =>
        {
            var view = await ops.StatusAsync(cluster, ct);
            return Results.Ok(new { topology = cluster.Topology, expectedPrimary = cluster.ExpectedPrimary, at = view.At, nodes = view.Nodes, drift = view.Drift() });
        }));

        r.MapGet("/monitor", (string name, MonitorDecisionLog log) => Results.Ok(new { topology = name, decisions = log.Of(name) }));

        r.MapGet("/drills", async (string name, DrillStore drills, CancellationToken ct) => Results.Ok(await drills.ListAsync(name, ct)));

        r.MapPost("/drill", async (string name, string? kind, int? runs, HttpContext http, CancellationToken ct) =>
        {
            var problems = new List<ApiProblems.Problem>();
            if (!Enum.TryParse<DrillKind>(kind ?? "kill", ignoreCase: true, out var k) || !Enum.IsDefined(k))
                problems.Add(new("kind", $"'{kind}' is not switchover, kill or pause."));
            if (runs is < 1 or > 20) problems.Add(new("runs", $"{runs} is out of range; use 1–20."));
            if (problems.Count > 0) return ApiProblems.Invalid(problems);
            var outcome = await RunDrillsAsync(http.RequestServices, name, k, runs ?? 1, Actor.From(http.User), ct);
            if (!outcome.TopologyExists) return Results.Problem($"No topology named '{name}'.", statusCode: StatusCodes.Status404NotFound);
            if (outcome.Problems.Count > 0) return ApiProblems.Invalid(outcome.Problems.Select(p => new ApiProblems.Problem(p.Field, p.Message)));
            var reports = outcome.Reports;
            return reports.All(r => r.Succeeded) ? Results.Ok(reports) : Results.Json(reports, statusCode: StatusCodes.Status409Conflict);
        }).RequireAuthorization(Policies.CanChange);

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
        var target = await Resolver(http.RequestServices).ResolveAsync(name, ct);
        if (!target.TopologyExists) return Results.Problem($"No topology named '{name}'.", statusCode: StatusCodes.Status404NotFound);
        if (target.Cluster is null || target.Operations is null)
            return ApiProblems.Invalid(target.Problems.Select(p => new ApiProblems.Problem(p.Field, p.Message)));
        return await action(target.Cluster, target.Operations);
    }

    internal sealed record DrillOutcome(bool TopologyExists, IReadOnlyList<(string Field, string Message)> Problems, IReadOnlyList<DrillReport> Reports);

    /// <summary>Resolves a drill (deployed stack or settings) and runs it; shared by the API and the replication page.</summary>
    internal static async Task<DrillOutcome> RunDrillsAsync(IServiceProvider services, string name, DrillKind kind, int runs, Actor actor, CancellationToken ct)
    {
        var configured = services.GetRequiredService<DeployedReplication>();
        var (setup, target, problems) = await configured.ResolveDrillAsync(name, kind, ct);
        if (!target.TopologyExists || setup is null) return new(target.TopologyExists, problems, []);
        var spec = (await services.GetRequiredService<TopologyStore>().GetAsync(name, ct: ct))!.Spec;
        var results = await services.GetRequiredService<DrillSession>().RunAsync(name, async () => (await configured.ResolveAsync(name, ct)).Cluster,
            setup, kind, runs, actor, FailoverDrills.OptionsFor(spec.Database.AutoFailover), ct);
        return new(true, [], [.. results.Select(r => r.Report)]);
    }

    /// <summary>The resolver the page, the API and the failover monitor share (one routing switch for all).</summary>
    internal static IReplicationResolver Resolver(IServiceProvider services) => services.GetRequiredService<IReplicationResolver>();
}
