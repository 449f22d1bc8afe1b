using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using HaPortal.Security;

namespace HaPortal.Api;

public static class TopologyApi
{
    private static readonly string[] YamlTypes = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"];

    public static void MapTopologyApi(this RouteGroupBuilder api)
    {
        var t = api.MapGroup("/topologies");
        t.MapGet("/", (TopologyStore store, CancellationToken ct) => store.ListAsync(ct));

        t.MapPost("/validate", async (HttpRequest request) =>
        {
            if (await ReadYamlAsync(request) is not { } yaml) return UnsupportedBody();
            var result = TopologyYaml.Parse(yaml);
            return Results.Ok(new { valid = result.IsValid, problems = ApiProblems.ToProblems(result.Report) });
        });

        // Import: the body is a topology file; stored as the next revision of the topology it names.
        t.MapPost("/", async (HttpRequest request, TopologyStore store, HttpContext http, string? comment, CancellationToken ct) =>
        {
            if (await ReadYamlAsync(request) is not { } yaml) return UnsupportedBody();
            var parsed = TopologyYaml.Parse(yaml);
            if (!parsed.IsValid) return ApiProblems.Invalid(parsed.Report);
            var saved = await store.SaveAsync(parsed.Spec!, Actor.From(http.User), comment ?? "imported through the API", ct);
            if (!saved.Saved) return ApiProblems.Invalid(saved.Report);
            return Results.Created($"/api/topologies/{Uri.EscapeDataString(parsed.Spec!.Name)}",
                new { name = parsed.Spec.Name, revision = saved.Revision!.Number, warnings = ApiProblems.ToProblems(saved.Report) });
        }).RequireAuthorization(Policies.CanChange);

        t.MapGet("/{name}", async (string name, int? revision, TopologyStore store, CancellationToken ct) =>
            await store.GetAsync(name, revision, ct) is { } stored
                ? Results.Ok(new { revision = stored.Revision, topology = stored.Spec, report = ApiProblems.ToProblems(TopologyValidator.Validate(stored.Spec)) })
                : NotFound(name, revision));

        t.MapGet("/{name}/yaml", async (string name, int? revision, TopologyStore store, CancellationToken ct) =>
            await store.GetAsync(name, revision, ct) is { } stored
                ? Results.File(System.Text.Encoding.UTF8.GetBytes(TopologyYaml.Serialize(stored.Spec)), "application/yaml",
                    $"{name}-r{stored.Revision.Number}.yaml")
                : NotFound(name, revision));

        t.MapGet("/{name}/revisions", async (string name, TopologyStore store, CancellationToken ct) =>
            await store.HistoryAsync(name, ct) is { Count: > 0 } history ? Results.Ok(history) : NotFound(name, null));

        t.MapGet("/{name}/diff", async (string name, int from, int to, TopologyStore store, CancellationToken ct) =>
        {
            var a = await store.GetAsync(name, from, ct);
            var b = await store.GetAsync(name, to, ct);
            var problems = new List<ApiProblems.Problem>();
            if (a is null) problems.Add(new("from", $"'{name}' has no revision {from}."));
            if (b is null) problems.Add(new("to", $"'{name}' has no revision {to}."));
            return problems.Count > 0 ? ApiProblems.Invalid(problems) : Results.Ok(TopologyDiff.Compare(a!.Spec, b!.Spec));
        });

        t.MapPost("/{name}/revisions/{revision:int}/restore", async (string name, int revision, TopologyStore store, HttpContext http, CancellationToken ct) =>
            await store.RestoreAsync(name, revision, Actor.From(http.User), ct) is { } outcome
                ? outcome.Saved ? Results.Ok(new { name, revision = outcome.Revision!.Number }) : ApiProblems.Invalid(outcome.Report)
                : NotFound(name, revision))
            .RequireAuthorization(Policies.CanChange);

        t.MapDelete("/{name}", async (string name, TopologyStore store, HttpContext http, CancellationToken ct) =>
            await store.DeleteAsync(name, Actor.From(http.User), ct) ? Results.NoContent() : NotFound(name, null))
            .RequireAuthorization(Policies.CanChange);
    }

    private static IResult NotFound(string name, int? revision) =>
        Results.Problem(revision is { } r ? $"Topology '{name}' has no revision {r}." : $"No topology named '{name}'.",
            statusCode: StatusCodes.Status404NotFound);

    private static IResult UnsupportedBody() =>
        Results.Problem($"Send the topology file as the body with Content-Type {YamlTypes[0]}.", statusCode: StatusCodes.Status415UnsupportedMediaType);

    private static async Task<string?> ReadYamlAsync(HttpRequest request)
    {
        var type = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (type is null || !YamlTypes.Contains(type)) return null;
        using var reader = new StreamReader(request.Body);
        return await reader.ReadToEndAsync();
    }
}
