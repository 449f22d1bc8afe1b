using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Haproxy;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Security;

namespace HaPortal.Api;

/// <summary>
/// /api/backends: a running HAProxy's backends, changed at runtime: the one the setting Haproxy:RuntimeEndpoint names,
/// or under /deployed/{topology} a deployed topology's load balancer. The endpoint is never taken from the request, so
/// the API cannot be pointed at an arbitrary address.
/// </summary>
public static class BackendApi
{
    public const string RuntimeSetting = "Haproxy:RuntimeEndpoint";
    public const string SettingsSection = "Haproxy";

    public sealed record WeightChange(int Weight, string? Topology);
    public sealed record StateChange(string State, string? Topology);
    public sealed record NewServer(string Name, string Address, int Port, int Weight = 100, bool Check = true, string? Topology = null);
    public sealed record NewNode(string Name, int Weight = 100);

    public static void MapBackendApi(this RouteGroupBuilder api)
    {
        var b = api.MapGroup("/backends");

        b.MapGet("/", async (IConfiguration config, CancellationToken ct) =>
            Runtime(config, out var problem) is { } runtime ? Results.Ok(await runtime.ListBackendsAsync(ct)) : problem);

        b.MapGet("/settings/{topology}", async (string topology, TopologyStore topologies, CancellationToken ct) =>
            await topologies.GetAsync(topology, ct: ct) is { } stored
                ? Results.Ok(BackendSettings.From(stored.Spec.LoadBalancer))
                : Results.Problem($"No topology named '{topology}'.", statusCode: StatusCodes.Status404NotFound));

        b.MapPut("/settings/{topology}", async (string topology, BackendSettings body, IConfiguration config, HaproxyTargets targets,
                BackendOperations operations, HttpContext http, CancellationToken ct) =>
            {
                var (target, problems) = targets.Resolve(config.GetSection(SettingsSection).Get<HaproxySettings>() ?? new());
                if (target is null)
                    return Results.Problem($"Setting section {SettingsSection} names no usable HAProxy: {string.Join(" ", problems.Select(p => $"{p.Path}: {p.Message}"))}",
                        statusCode: StatusCodes.Status503ServiceUnavailable);
                var result = await operations.ApplySettingsAsync(target, Actor.From(http.User), topology, body, ct);
                if (result.Succeeded) return Results.Ok(new { revision = result.Revision, workerPid = result.WorkerPid });
                // A config HAProxy rejects comes back as the field "haproxy" with HAProxy's words; nothing was installed or saved.
                return ApiProblems.Invalid(result.Problems.Select(p => new ApiProblems.Problem(p.Path, p.Message)));
            })
            .RequireAuthorization(Policies.CanChange);

        b.MapPost("/{backend}/servers/{server}/weight", (string backend, string server, WeightChange body, IConfiguration config,
                IServiceProvider services, HttpContext http, CancellationToken ct) =>
            ChangeAsync(config, services, (ops, rt) => ops.SetWeightAsync(rt, Actor.From(http.User), backend, server, body.Weight, body.Topology, ct)))
            .RequireAuthorization(Policies.CanChange);

        b.MapPost("/{backend}/servers/{server}/state", (string backend, string server, StateChange body, IConfiguration config,
                IServiceProvider services, HttpContext http, CancellationToken ct) =>
            ChangeAsync(config, services, (ops, rt) => ops.SetStateAsync(rt, Actor.From(http.User), backend, server, body.State, body.Topology, ct)))
            .RequireAuthorization(Policies.CanChange);

        b.MapPost("/{backend}/servers", (string backend, NewServer body, IConfiguration config, IServiceProvider services,
                HttpContext http, CancellationToken ct) =>
            ChangeAsync(config, services, (ops, rt) => ops.AddServerAsync(rt, Actor.From(http.User), backend,
                new DynamicServer(body.Name, body.Address, body.Port, body.Weight, body.Check), body.Topology, ct)))
            .RequireAuthorization(Policies.CanChange);

        b.MapDelete("/{backend}/servers/{server}", (string backend, string server, int? timeoutSeconds, bool? force, string? topology,
                IConfiguration config, IServiceProvider services, HttpContext http, CancellationToken ct) =>
            ChangeAsync(config, services, (ops, rt) => ops.RemoveServerAsync(rt, Actor.From(http.User), backend, server,
                TimeSpan.FromSeconds(timeoutSeconds ?? 30), force ?? false, topology, ct)))
            .RequireAuthorization(Policies.CanChange);

        MapDeployed(b);
    }

    /// <summary>
    /// /api/backends/deployed/{topology}: the load balancer of a topology the portal deployed, reached through the
    /// container engine; changes are recorded in that topology. Web nodes are added and removed with their containers.
    /// </summary>
    private static void MapDeployed(RouteGroupBuilder b)
    {
        b.MapGet("/deployed", (IDeployedLoadBalancers lbs, CancellationToken ct) => EngineAsync(async () => Results.Ok(await lbs.ListAsync(ct))));

        var d = b.MapGroup("/deployed/{topology}");
        d.MapGet("/", (string topology, IDeployedLoadBalancers lbs, CancellationToken ct) => EngineAsync(async () =>
            (await lbs.ListAsync(ct)).Contains(topology)
                ? Results.Ok(await lbs.Runtime(topology).ListBackendsAsync(ct))
                : Results.Problem($"No stored topology '{topology}' has a running load balancer on the engine.", statusCode: StatusCodes.Status404NotFound)));

        d.MapPost("/{backend}/servers/{server}/weight", (string topology, string backend, string server, WeightChange body,
                IDeployedLoadBalancers lbs, BackendOperations ops, HttpContext http, CancellationToken ct) =>
            ResultAsync(() => ops.SetWeightAsync(lbs.Runtime(topology), Actor.From(http.User), backend, server, body.Weight, topology, ct)))
            .RequireAuthorization(Policies.CanChange);

        d.MapPost("/{backend}/servers/{server}/state", (string topology, string backend, string server, StateChange body,
                IDeployedLoadBalancers lbs, BackendOperations ops, HttpContext http, CancellationToken ct) =>
            ResultAsync(() => ops.SetStateAsync(lbs.Runtime(topology), Actor.From(http.User), backend, server, body.State, topology, ct)))
            .RequireAuthorization(Policies.CanChange);

        d.MapPost("/nodes", (string topology, NewNode body, IDeployedLoadBalancers lbs, HttpContext http, CancellationToken ct) =>
                NodeAsync(() => lbs.AddNodeAsync(Actor.From(http.User), topology, body.Name, body.Weight, null, ct)))
            .RequireAuthorization(Policies.CanChange);

        d.MapDelete("/nodes/{node}", (string topology, string node, int? timeoutSeconds, bool? force, IDeployedLoadBalancers lbs,
                HttpContext http, CancellationToken ct) =>
                NodeAsync(() => lbs.RemoveNodeAsync(Actor.From(http.User), topology, node, TimeSpan.FromSeconds(timeoutSeconds ?? 30), force ?? false, null, ct)))
            .RequireAuthorization(Policies.CanChange);
    }

    private static Task<IResult> NodeAsync(Func<Task<WebNodeChangeResult>> change) => EngineAsync(async () =>
    {
        var result = await change();
        if (result.Removal is { Outcome: RemovalOutcome.TimedOut })
            return Results.Problem(result.Problems[0].Message, statusCode: StatusCodes.Status409Conflict);
        if (result.Succeeded) return Results.Ok(new { server = result.Server, revision = result.Revision, removal = result.Removal });
        // "haproxy": the change was made part-way and an apply finishes it; anything else is invalid input, nothing changed.
        return result.Problems.Any(p => p.Path == "haproxy")
            ? Results.Problem(string.Join(" ", result.Problems.Select(p => p.Message)), statusCode: StatusCodes.Status502BadGateway)
            : ApiProblems.Invalid(result.Problems.Select(p => new ApiProblems.Problem(p.Path, p.Message)));
    });

    private static async Task<IResult> EngineAsync(Func<Task<IResult>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (e is ContainerEngineException or DeployStepException)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (HaproxyCommandException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status502BadGateway);
        }
        catch (HaproxyUnreachableException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<IResult> ChangeAsync(IConfiguration config, IServiceProvider services,
        Func<BackendOperations, IHaproxyRuntime, Task<BackendChangeResult>> change)
    {
        if (Runtime(config, out var problem) is not { } runtime) return problem;
        var operations = services.GetRequiredService<BackendOperations>();
        return await ResultAsync(() => change(operations, runtime));
    }

    private static async Task<IResult> ResultAsync(Func<Task<BackendChangeResult>> change)
    {
        try
        {
            var result = await change();
            if (result.Removal is { Outcome: RemovalOutcome.TimedOut })
                return Results.Problem(result.Problems[0].Message, statusCode: StatusCodes.Status409Conflict);
            return result.Succeeded
                ? Results.Ok(new { server = result.Server, revision = result.Revision, removal = result.Removal })
                : ApiProblems.Invalid(result.Problems.Select(p => new ApiProblems.Problem(p.Path, p.Message)));
        }
        catch (HaproxyCommandException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status502BadGateway);
        }
        catch (HaproxyUnreachableException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static HaproxyRuntime? Runtime(IConfiguration config, out IResult problem)
    {
        problem = Results.Empty;
        if (HaproxyEndpoint.TryParse(config[RuntimeSetting], out var error) is { } endpoint) return new HaproxyRuntime(endpoint, TimeProvider.System);
        problem = Results.Problem($"Setting {RuntimeSetting} names no HAProxy runtime API: {error}", statusCode: StatusCodes.Status503ServiceUnavailable);
        return null;
    }
}
