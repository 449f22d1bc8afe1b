using System.Text.Json;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Security;

namespace HaPortal.Api;

/// <summary>
/// /api/topologies/{name}/plan|apply|destroy|status: a stored topology on the Docker engine, as the deploy page and the
/// plan/apply/destroy/status commands do it. Unknown topology 404; an invalid stored topology 400 with every problem;
/// a plan that must not run (missing image, tier not deployable) 422 with every problem; a failed step 502 with the
/// step, node and message; the engine unreachable 503. Apply and destroy answer the progress events and the outcome,
/// or stream them one JSON object per line when asked with <c>Accept: application/x-ndjson</c>.
/// </summary>
public static class DeployApi
{
    public const string NdJson = "application/x-ndjson";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void MapDeployApi(this RouteGroupBuilder api)
    {
        var t = api.MapGroup("/topologies/{name}");

        t.MapGet("/plan", (string name, DeployOperations ops, CancellationToken ct) => EngineAsync(async () =>
        {
            var preview = await ops.PreviewAsync(name, ct);
            return Refusal(preview) ?? Results.Ok(PlanBody(preview.Plan!, preview.Stored!.Revision.Number));
        }));

        t.MapPost("/apply", (string name, DeployOperations ops, HttpContext http, CancellationToken ct) => EngineAsync(async () =>
        {
            var actor = Actor.From(http.User);
            actor.EnsureCanChange($"deploy '{name}'");
            var preview = await ops.PreviewAsync(name, ct);
            if ((Refusal(preview) ?? Busy(ops, name)) is { } refused) return refused;
            return await RespondAsync(http, ops.ApplyAsync(actor, preview, ct), PlanBody(preview.Plan!, preview.Stored!.Revision.Number), ct);
        })).RequireAuthorization(Policies.CanChange);

        t.MapPost("/destroy", (string name, string? volumes, DeployOperations ops, TopologyStore store, HttpContext http, CancellationToken ct) =>
            EngineAsync(async () =>
            {
                var actor = Actor.From(http.User);
                actor.EnsureCanChange($"destroy '{name}'");
                if (!TryFlag(volumes, out var withVolumes))
                    return ApiProblems.Invalid("volumes", $"'{volumes}' is not true or false.");
                var plan = await ops.PlanDestroyAsync(name, withVolumes, ct);
                if (plan.IsEmpty && await store.GetAsync(name, ct: ct) is null) return NotFound(name);
                if (Busy(ops, name) is { } busy) return busy;
                return await RespondAsync(http, ops.DestroyAsync(actor, plan, ct), PlanBody(plan, null), ct);
            })).RequireAuthorization(Policies.CanChange);

        t.MapGet("/status", (string name, DeployOperations ops, TopologyStore store, HttpContext http, CancellationToken ct) =>
            EngineAsync(async () =>
            {
                var status = await ops.StatusAsync(name, ct);
                var stored = await store.GetAsync(name, ct: ct);
                if (stored is null && !status.Exists) return NotFound(name);
                return Results.Ok(new
                {
                    topology = status.Topology,
                    exists = status.Exists,
                    loadBalancer = stored is null ? null : ops.LoadBalancerUrl(stored.Spec, new Uri($"{http.Request.Scheme}://{http.Request.Host}")).ToString(),
                    nodes = status.Nodes.Select(n => new { node = n.Node, role = n.Role, container = n.Container, image = n.Image, state = n.State, health = n.Health, restarts = n.RestartCount }),
                    networks = status.Networks,
                    volumes = status.Volumes,
                });
            }));
    }

    /// <summary>The plan the way scripts read it; secrets are never part of a plan.</summary>
    public static object PlanBody(DeployPlan plan, int? revision) => new
    {
        topology = plan.Topology,
        revision,
        upToDate = plan.IsEmpty,
        steps = plan.Steps.Select(s => new
        {
            action = Lower(s.Action), @object = Lower(s.Object), name = s.Name, node = s.Node, tier = Lower(s.Tier), group = s.Group, reason = s.Reason,
        }),
        problems = plan.Problems.Select(DeployOperations.ToProblem).Select(p => new ApiProblems.Problem(p.Path, p.Message)),
    };

    public static object EventBody(DeployProgress e) => new
    {
        kind = Kebab(e.Kind),
        step = e.Step?.ToString(),
        action = e.Step is null ? null : Lower(e.Step.Action),
        name = e.Step?.Name,
        node = e.Step?.Node,
        message = e.Message,
        seconds = Math.Round(e.Elapsed.TotalSeconds, 1),
        done = e.IsFinal ? e.Done.Select(d => d.ToString()) : null,
    };

    private static IResult? Refusal(DeployPreview preview)
    {
        if (!preview.Found) return NotFound(preview.Topology);
        if (preview.TopologyErrors.Count > 0) return ApiProblems.Invalid(preview.TopologyErrors.Select(p => new ApiProblems.Problem(p.Path, p.Message)));
        if (!preview.CanApply)
            return Results.Json(new
            {
                title = $"'{preview.Topology}' cannot be deployed as it stands; nothing was changed.",
                problems = preview.PlanProblems.Select(p => new ApiProblems.Problem(p.Path, p.Message)),
                plan = PlanBody(preview.Plan!, preview.Stored!.Revision.Number),
            }, statusCode: StatusCodes.Status422UnprocessableEntity);
        return null;
    }

    private static IResult? Busy(DeployOperations ops, string name) =>
        ops.RunningBy(name) is { } who
            ? Results.Problem($"A deploy of '{name}' is already running (started by {who}); wait for it to finish.", statusCode: StatusCodes.Status409Conflict)
            : null;

    /// <summary>Collects the events into one answer, or streams them as NDJSON (plan first, then every event) when asked.</summary>
    private static async Task<IResult> RespondAsync(HttpContext http, IAsyncEnumerable<DeployProgress> progress, object plan, CancellationToken ct)
    {
        if (http.Request.Headers.Accept.Any(a => a?.Contains(NdJson, StringComparison.OrdinalIgnoreCase) == true))
        {
            http.Response.ContentType = NdJson;
            await WriteLineAsync(http, new { kind = "plan", plan }, ct);
            try
            {
                await foreach (var e in progress.WithCancellation(ct)) await WriteLineAsync(http, EventBody(e), ct);
            }
            catch (ContainerEngineException e)
            {
                // The answer has started (200): the failure goes into the stream as its last line.
                await WriteLineAsync(http, new { kind = "failed", message = e.Message }, ct);
            }
            return Results.Empty;
        }
        var events = new List<DeployProgress>();
        await foreach (var e in progress.WithCancellation(ct)) events.Add(e);
        var last = events.LastOrDefault();
        var succeeded = last is { Kind: DeployEventKind.Completed };
        return Results.Json(new
        {
            outcome = succeeded ? "completed" : "failed",
            failedStep = succeeded ? null : last?.Step?.ToString(),
            node = succeeded ? null : last?.Step?.Node,
            message = last?.Message,
            done = last?.Done.Select(d => d.ToString()),
            plan,
            events = events.Select(EventBody),
        }, statusCode: succeeded ? StatusCodes.Status200OK : StatusCodes.Status502BadGateway);
    }

    private static async Task WriteLineAsync(HttpContext http, object body, CancellationToken ct)
    {
        await http.Response.WriteAsync(JsonSerializer.Serialize(body, Json) + "\n", ct);
        await http.Response.Body.FlushAsync(ct);
    }

    private static async Task<IResult> EngineAsync(Func<Task<IResult>> action)
    {
        try { return await action(); }
        catch (ContainerEngineException e) { return Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable); }
    }

    private static bool TryFlag(string? value, out bool flag)
    {
        flag = false;
        return string.IsNullOrEmpty(value) || bool.TryParse(value, out flag);
    }

    private static IResult NotFound(string name) =>
        Results.Problem($"No topology named '{name}' (neither stored nor on the engine).", statusCode: StatusCodes.Status404NotFound);

    private static string Lower<T>(T value) where T : Enum => value.ToString().ToLowerInvariant();

    private static string Kebab(DeployEventKind kind) => JsonNamingPolicy.KebabCaseLower.ConvertName(kind.ToString());
}
