using HaPortal.Core.ProxySql;
using HaPortal.Core.Security;
using HaPortal.Security;

namespace HaPortal.Api;

/// <summary>
/// /api/proxysql: query rules (list, add, update, delete, move, test, dry run, drift) and servers (list, offline,
/// online) on the ProxySQL nodes named by the ProxySql settings. Changes need the CanChange policy and are audited.
/// </summary>
public static class ProxySqlApi
{
    public sealed record TestRequest(string Sql, string? Username = null, string? Schemaname = null, int? DefaultHostgroup = null);

    public sealed record DryRunRequest(IReadOnlyList<ProxySqlQueryRule> Rules);

    public static void MapProxySqlApi(this RouteGroupBuilder api)
    {
        var p = api.MapGroup("/proxysql");

        p.MapGet("/rules", (string? layer, HttpContext http, CancellationToken ct) => WithNodes(http, async nodes =>
        {
            if (!Enum.TryParse<AdminLayer>(layer ?? "runtime", ignoreCase: true, out var l))
                return ApiProblems.Invalid("layer", $"'{layer}' is not a layer; use memory, runtime or disk.");
            var rules = await nodes[0].GetQueryRulesAsync(l, ct);
            var hits = (await nodes[0].GetRuleHitsAsync(ct)).ToDictionary(h => h.RuleId, h => h.Hits);
            return Results.Ok(rules.Select(r => new { rule = r, hits = hits.GetValueOrDefault(r.RuleId) }));
        }));

        p.MapPost("/rules", (ProxySqlQueryRule rule, HttpContext http, CancellationToken ct) =>
            Change(http, (ops, target, actor) => ops.AddAsync(target, rule, actor, ct))).RequireAuthorization(Policies.CanChange);

        p.MapPut("/rules/{id:int}", (int id, ProxySqlQueryRule rule, HttpContext http, CancellationToken ct) =>
            Change(http, (ops, target, actor) => ops.UpdateAsync(target, rule with { RuleId = id }, actor, ct))).RequireAuthorization(Policies.CanChange);

        p.MapDelete("/rules/{id:int}", (int id, HttpContext http, CancellationToken ct) =>
            Change(http, (ops, target, actor) => ops.DeleteAsync(target, id, actor, ct))).RequireAuthorization(Policies.CanChange);

        p.MapPost("/rules/{id:int}/move", (int id, string direction, HttpContext http, CancellationToken ct) =>
            direction is "up" or "down"
                ? Change(http, (ops, target, actor) => ops.MoveAsync(target, id, direction == "up" ? -1 : 1, actor, ct))
                : Task.FromResult(ApiProblems.Invalid("direction", "Use up or down."))).RequireAuthorization(Policies.CanChange);

        p.MapPost("/rules/test", (TestRequest request, HttpContext http, CancellationToken ct) => WithNodes(http, async nodes =>
        {
            if (string.IsNullOrWhiteSpace(request.Sql)) return ApiProblems.Invalid("sql", "Give the statement to route.");
            var rules = await nodes[0].GetQueryRulesAsync(AdminLayer.Runtime, ct);
            var users = await nodes[0].GetUsersAsync(AdminLayer.Runtime, ct);
            var fallback = users.FirstOrDefault(u => u.Username == request.Username)?.DefaultHostgroup ?? request.DefaultHostgroup ?? 0;
            return Results.Ok(QueryRuleEvaluator.Evaluate(rules, new QueryContext(request.Sql, request.Username, request.Schemaname), fallback));
        }));

        p.MapPost("/rules/dry-run", (DryRunRequest request, HttpContext http, CancellationToken ct) => WithNodes(http, async nodes =>
        {
            var node = nodes[0];
            var current = await node.GetQueryRulesAsync(AdminLayer.Runtime, ct);
            var users = (await node.GetUsersAsync(AdminLayer.Runtime, ct)).GroupBy(u => u.Username).ToDictionary(g => g.Key, g => g.First().DefaultHostgroup);
            var readers = (await node.GetReplicationHostgroupsAsync(AdminLayer.Runtime, ct)).Select(h => h.ReaderHostgroup).ToHashSet();
            var digests = await node.GetQueryDigestsAsync(ct);
            return Results.Ok(QueryRuleDryRun.Compare(current, request.Rules, digests, u => users.GetValueOrDefault(u), readers));
        }));

        p.MapGet("/rules/drift", (HttpContext http, CancellationToken ct) =>
            WithOps(http, async (ops, target) => Results.Ok(await ops.DriftAsync(target, ct)), needsTopology: true));

        p.MapPost("/rules/drift/adopt", (HttpContext http, CancellationToken ct) =>
            Change(http, (ops, target, actor) => ops.AdoptRuntimeAsync(target, actor, ct), needsTopology: true)).RequireAuthorization(Policies.CanChange);

        p.MapPost("/rules/drift/reapply", (HttpContext http, CancellationToken ct) =>
            Change(http, (ops, target, actor) => ops.ReapplyStoredAsync(target, actor, ct), needsTopology: true)).RequireAuthorization(Policies.CanChange);

        p.MapGet("/servers", (HttpContext http, CancellationToken ct) => WithNodes(http, async nodes =>
        {
            var servers = await nodes[0].GetServersAsync(AdminLayer.Runtime, ct);
            var pool = await nodes[0].GetConnectionPoolAsync(ct);
            return Results.Ok(servers.Select(s => new
            {
                server = s,
                pool = pool.FirstOrDefault(x => x.Hostgroup == s.HostgroupId && x.Host == s.Hostname && x.Port == s.Port),
            }));
        }));

        p.MapPost("/servers/{host}/{port:int}/{action}", (string host, int port, string action, int? hostgroup, HttpContext http, CancellationToken ct) =>
            WithNodes(http, async nodes =>
            {
                var status = action switch { "offline" => ServerStatus.OfflineSoft, "offline-hard" => ServerStatus.OfflineHard, "online" => ServerStatus.Online, _ => null };
                if (status is null) return ApiProblems.Invalid("action", "Use offline, offline-hard or online.");
                var ops = http.RequestServices.GetRequiredService<ServerOperations>();
                var rollout = await ops.SetStatusAsync(nodes, host, port, hostgroup, status, Actor.From(http.User), ct);
                if (rollout is null) return Results.Problem($"{host}:{port} is not in mysql_servers.", statusCode: StatusCodes.Status404NotFound);
                return Rollout(rollout);
            })).RequireAuthorization(Policies.CanChange);

        p.MapGet("/read-routing", (HttpContext http, CancellationToken ct) =>
            WithNodes(http, async nodes => Results.Ok(await ReadRoutingOperations.ReadAsync(nodes[0], ct))));

        p.MapPut("/read-routing", (ReadRouting routing, HttpContext http, CancellationToken ct) => WithNodes(http, async nodes =>
        {
            var topology = Options(http).Topology;
            var target = new RuleTarget(nodes, string.IsNullOrWhiteSpace(topology) || Selected(http).Count > 0 ? null : topology);
            var outcome = await http.RequestServices.GetRequiredService<ReadRoutingOperations>().ApplyAsync(target, routing, Actor.From(http.User), ct);
            if (outcome.Problems.Count > 0) return ApiProblems.Invalid(outcome.Problems.Select(p => new ApiProblems.Problem(p.Field, p.Message)));
            return Rollout(outcome.Rollout!, outcome.Revision);
        })).RequireAuthorization(Policies.CanChange);

        p.MapGet("/stats/digests", (HttpContext http, CancellationToken ct) => WithNodes(http, async nodes => Results.Ok(await nodes[0].GetQueryDigestsAsync(ct))));
        p.MapGet("/stats/pool", (HttpContext http, CancellationToken ct) => WithNodes(http, async nodes => Results.Ok(await nodes[0].GetConnectionPoolAsync(ct))));
    }

    private static ProxySqlOptions Options(HttpContext http) =>
        http.RequestServices.GetRequiredService<IConfiguration>().GetSection(ProxySqlOptions.Section).Get<ProxySqlOptions>() ?? new ProxySqlOptions();

    /// <summary>Runs <paramref name="action"/> on the configured nodes; 503 when none are configured, 502 when ProxySQL fails.</summary>
    private static async Task<IResult> WithNodes(HttpContext http, Func<IReadOnlyList<IProxySqlAdmin>, Task<IResult>> action)
    {
        var factory = http.RequestServices.GetRequiredService<IProxySqlAdminFactory>();
        var nodes = Options(http).Nodes(factory, out var problem);
        if (problem is not null) return Results.Problem(problem, statusCode: StatusCodes.Status503ServiceUnavailable);
        if (Selected(http) is { Count: > 0 } selected)
        {
            var unknown = selected.Where(n => nodes.All(x => x.Node != n)).ToList();
            if (unknown.Count > 0)
                return ApiProblems.Invalid("node", $"{string.Join(", ", unknown)} is not a configured node; use one of {string.Join(", ", nodes.Select(n => n.Node))}.");
            nodes = nodes.Where(n => selected.Contains(n.Node)).ToList();
        }
        try { return await action(nodes); }
        catch (ProxySqlAdminException e) { return Results.Problem(e.Message, statusCode: StatusCodes.Status502BadGateway); }
    }

    /// <summary>
    /// ?node=HOST:PORT (repeatable): run on those nodes only. After a partial rollout, repeating the change there retries
    /// it on the nodes that failed; the opposite change there undoes it on the nodes that applied it.
    /// </summary>
    private static List<string> Selected(HttpContext http) =>
        http.Request.Query["node"].Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToList();

    private static Task<IResult> WithOps(HttpContext http, Func<QueryRuleOperations, RuleTarget, Task<IResult>> action, bool needsTopology = false) =>
        WithNodes(http, nodes =>
        {
            var topology = Options(http).Topology;
            if (needsTopology && string.IsNullOrWhiteSpace(topology))
                return Task.FromResult(Results.Problem("Set ProxySql:Topology to the stored topology these nodes belong to.", statusCode: StatusCodes.Status503ServiceUnavailable));
            var ops = http.RequestServices.GetRequiredService<QueryRuleOperations>();
            // A per-node retry or undo leaves the stored topology alone: the full rollout already recorded the intent.
            var stored = string.IsNullOrWhiteSpace(topology) || (!needsTopology && Selected(http).Count > 0) ? null : topology;
            return action(ops, new RuleTarget(nodes, stored));
        });

    private static Task<IResult> Change(HttpContext http, Func<QueryRuleOperations, RuleTarget, Actor, Task<RuleChangeOutcome>> change, bool needsTopology = false) =>
        WithOps(http, async (ops, target) =>
        {
            var outcome = await change(ops, target, Actor.From(http.User));
            if (outcome.Problems.Count > 0) return ApiProblems.Invalid(outcome.Problems.Select(p => new ApiProblems.Problem(p.Field, p.Message)));
            return Rollout(outcome.Rollout!, outcome.Revision);
        }, needsTopology);

    /// <summary>200 when every node confirmed; 502 with each node's outcome otherwise.</summary>
    private static IResult Rollout(RolloutResult rollout, int? revision = null) => Results.Json(new
    {
        succeeded = rollout.Succeeded,
        revision,
        nodes = rollout.Nodes.Select(n => new
        {
            node = n.Node, state = n.State.ToString(), failedStep = n.Result?.FailedStep?.ToString(), message = n.Result?.Message,
            restored = n.Result?.Restored, elapsedMs = n.Result?.Elapsed.TotalMilliseconds,
        }),
    }, statusCode: rollout.Succeeded ? StatusCodes.Status200OK : StatusCodes.Status502BadGateway);
}
