using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using HaPortal.Core.Audit;
using HaPortal.Core.Docker;
using HaPortal.Core.Haproxy;
using HaPortal.Core.Persistence;
using HaPortal.Core.Rendering;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HaPortal.Core.Deploy;

/// <summary>
/// The outcome of adding or removing a web node of a deployed topology: the revision that records it and the server
/// as HAProxy reports it afterwards (null after a removal), or every problem with its field. When the problems come
/// from validation nothing was changed; an operational failure part-way says what was already done.
/// </summary>
public sealed record WebNodeChangeResult(IReadOnlyList<ValidationProblem> Problems, RevisionInfo? Revision = null,
    HaproxyServer? Server = null, ServerRemoval? Removal = null)
{
    public bool Succeeded => Problems.Count == 0;
}

/// <summary>
/// The load balancers of topologies deployed by the portal, for the Backends page, the API and the command line:
/// their runtime API, and growing or shrinking the web tier while the stack serves. Singleton; thread-safe.
/// </summary>
public interface IDeployedLoadBalancers
{
    /// <summary>Stored topologies whose load balancer container runs on the engine, by name.</summary>
    Task<IReadOnlyList<string>> ListAsync(CancellationToken ct);

    /// <summary>The runtime API of the topology's load balancer container, reached through the engine over one held CLI conversation.</summary>
    IHaproxyRuntime Runtime(string topology);

    /// <summary>
    /// Validates, starts the web container (as apply would make it) and waits until it serves, adds it to HAProxy at
    /// runtime, stores a revision with the node, then reloads the load balancer with the rendered haproxy.cfg so the
    /// server gets its sticky cookie and a later plan is empty. <paramref name="progress"/> receives one line per step.
    /// </summary>
    Task<WebNodeChangeResult> AddNodeAsync(Actor actor, string topology, string node, int weight, Action<string>? progress, CancellationToken ct);

    /// <summary>
    /// Validates, drains the server and waits for its sessions to end (or <paramref name="timeout"/>: then it stays in
    /// drain and nothing else changes, unless <paramref name="shutdownRemaining"/>), puts it in maintenance, stores a
    /// revision without the node, reloads the load balancer without it, then stops and removes the container.
    /// </summary>
    Task<WebNodeChangeResult> RemoveNodeAsync(Actor actor, string topology, string node, TimeSpan timeout, bool shutdownRemaining,
        Action<string>? progress, CancellationToken ct);
}

/// <summary>
/// The real <see cref="IDeployedLoadBalancers"/>. Container work goes through <see cref="DeployExecutor"/> with the
/// steps <see cref="StackDeployer.PlanAsync"/> plans for the changed topology (create the web container and reload the
/// load balancer; or reload and remove it), so the definitions, readiness checks and the checked reload are the deploy's
/// own and a plan afterwards is empty. See docs/decisions/0013-operating-a-deployed-load-balancer.md.
/// </summary>
public sealed class DeployedLoadBalancers(IContainerEngine engine, StackDeployer deployer, DeploySettings settings,
    TopologyStore topologies, AuditLog audit, TimeProvider time) : IDeployedLoadBalancers, IAsyncDisposable, IDisposable
{
    private const string Backend = HaproxyRenderer.BackendName;
    private static readonly ImmutableArray<string> DynamicAlgorithms = ["roundrobin", "leastconn", "first", "random"];
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, string> _running = new(StringComparer.Ordinal);
    // One CLI conversation per load balancer, kept open between commands (a page polls every 2 s).
    private readonly ConcurrentDictionary<string, Lazy<ContainerCli>> _clis = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken ct)
    {
        var stored = (await topologies.ListAsync(ct).ConfigureAwait(false)).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var deployed = new List<string>();
        foreach (var name in await engine.ListTopologiesAsync(ct).ConfigureAwait(false))
            if (stored.Contains(name) && LoadBalancerOf(await engine.ObserveAsync(name, ct).ConfigureAwait(false)) is { IsRunning: true })
                deployed.Add(name);
        return [.. deployed.Order(StringComparer.Ordinal)];
    }

    public IHaproxyRuntime Runtime(string topology)
    {
        // The rendered haproxy.cfg of a deployed load balancer has the runtime API on its own loopback as well as on
        // the unix socket; the engine's exec reaches it there (bash /dev/tcp, the image has no socat).
        var admin = new HaproxyRenderOptions().AdminTcpAddress!;
        var colon = admin.LastIndexOf(':');
        var endpoint = HaproxyEndpoint.InContainer(DesiredStackBuilder.ContainerName(topology, DesiredStackBuilder.LoadBalancerNode),
            admin[..colon], int.Parse(admin[(colon + 1)..], CultureInfo.InvariantCulture));
        var cli = _clis.GetOrAdd(endpoint.Container!, _ => new Lazy<ContainerCli>(() => new ContainerCli(engine, endpoint))).Value;
        return new HaproxyRuntime(endpoint, time, cli.SendAsync);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cli in _clis.Values.Where(c => c.IsValueCreated)) await cli.Value.DisposeAsync().ConfigureAwait(false);
        _clis.Clear();
    }

    // A service provider disposed synchronously still closes the conversations (each within a second).
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async Task<WebNodeChangeResult> AddNodeAsync(Actor actor, string topology, string node, int weight, Action<string>? progress, CancellationToken ct)
    {
        actor.EnsureCanChange($"add a web node to '{topology}'");
        var report = progress ?? (_ => { });
        var problems = new List<ValidationProblem>();
        if (weight is < 0 or > 256) problems.Add(new("weight", $"{weight} is outside 0–256; 0 adds the node out of rotation."));
        if (!IsName(node)) problems.Add(new("node", $"'{node}' is not a node name: use letters, digits, '-', '_' and '.'."));
        var stored = await LoadAsync(topology, problems, ct).ConfigureAwait(false);
        TopologySpec? updated = null;
        if (stored is not null && IsName(node))
        {
            if (stored.Spec.Web.Nodes.Any(n => n.Name == node))
                problems.Add(new("node", $"Topology '{topology}' already has a web node '{node}'."));
            else
            {
                updated = stored.Spec with { Web = stored.Spec.Web with { Nodes = stored.Spec.Web.Nodes.Add(new WebNodeSpec { Name = node, Weight = weight }) } };
                problems.AddRange(TopologyValidator.Validate(updated).Errors);
            }
        }
        var container = DesiredStackBuilder.ContainerName(topology, node);
        var prepared = problems.Count == 0
            ? await CheckDeployedAsync(updated!, stored!, [(PlanAction.Create, container), (PlanAction.Reload, LoadBalancerName(topology))], problems, ct).ConfigureAwait(false)
            : null;
        if (problems.Count > 0) return new(problems);

        return await ExclusiveAsync(actor, topology, async () =>
        {
            var steps = prepared!.Plan.Steps;
            report($"creating {container} and waiting until it serves");
            if (await RunStepsAsync(prepared, steps.Where(s => s.Action == PlanAction.Create), report, ct).ConfigureAwait(false) is { } createFailed)
            {
                // Nothing else has changed yet: leave the engine as it was.
                await engine.RemoveContainerAsync(container, CancellationToken.None).ConfigureAwait(false);
                return new WebNodeChangeResult([new("node", $"The web container did not come up, so it was removed again: {createFailed}")]);
            }

            var runtime = Runtime(topology);
            await AddAtRuntimeAsync(runtime, topology, node, weight, report, ct).ConfigureAwait(false);

            var saved = await topologies.SaveAsync(updated!, actor, $"added web node {node} (weight {weight})", ct).ConfigureAwait(false);
            report($"recorded as revision {saved.Revision?.Number}; reloading the load balancer so {node} gets its sticky cookie");
            var reloadFailed = await RunStepsAsync(prepared, steps.Where(s => s.Action == PlanAction.Reload), report, ct).ConfigureAwait(false);
            var after = await runtime.GetServerAsync(Backend, node, ct).ConfigureAwait(false);
            var summary = $"added web node {node} to '{topology}' (container {container}, weight {weight})"
                          + (reloadFailed is null ? "" : $"; the load balancer reload failed: {reloadFailed}");
            await audit.RecordAsync(actor, "haproxy.add-node", $"{topology}/{node}", summary, null,
                after is null ? "not in HAProxy" : $"{after.Address}:{after.Port} weight {after.Weight} {after.Status}", ct).ConfigureAwait(false);
            if (reloadFailed is not null)
                return new WebNodeChangeResult([new("haproxy", $"{node} runs and is recorded in revision {saved.Revision?.Number}, but the load balancer reload failed "
                    + $"(apply '{topology}' retries it): {reloadFailed}")], saved.Revision, after);
            report($"{node} added");
            return new WebNodeChangeResult([], saved.Revision, after);
        }).ConfigureAwait(false);
    }

    public async Task<WebNodeChangeResult> RemoveNodeAsync(Actor actor, string topology, string node, TimeSpan timeout, bool shutdownRemaining,
        Action<string>? progress, CancellationToken ct)
    {
        actor.EnsureCanChange($"remove a web node from '{topology}'");
        var report = progress ?? (_ => { });
        var problems = new List<ValidationProblem>();
        if (timeout < TimeSpan.Zero || timeout > TimeSpan.FromHours(1)) problems.Add(new("timeout", "give a drain timeout between 0 s and 1 h."));
        var stored = await LoadAsync(topology, problems, ct).ConfigureAwait(false);
        TopologySpec? updated = null;
        if (stored is not null)
        {
            if (!stored.Spec.Web.Nodes.Any(n => n.Name == node))
                problems.Add(new("node", $"Topology '{topology}' has no web node '{node}' (it has {string.Join(", ", stored.Spec.Web.Nodes.Select(n => n.Name))})."));
            else
            {
                updated = stored.Spec with { Web = stored.Spec.Web with { Nodes = stored.Spec.Web.Nodes.RemoveAll(n => n.Name == node) } };
                problems.AddRange(TopologyValidator.Validate(updated).Errors.Select(e => e.Path.StartsWith("web", StringComparison.Ordinal)
                    ? e with { Path = "node", Message = $"Without '{node}': {e.Message}" } : e));
            }
        }
        var container = DesiredStackBuilder.ContainerName(topology, node);
        var prepared = problems.Count == 0
            ? await CheckDeployedAsync(updated!, stored!, [(PlanAction.Reload, LoadBalancerName(topology)), (PlanAction.Remove, container)], problems, ct).ConfigureAwait(false)
            : null;
        if (problems.Count > 0) return new(problems);

        return await ExclusiveAsync(actor, topology, async () =>
        {
            var runtime = Runtime(topology);
            ServerRemoval? removal = null;
            var before = await runtime.GetServerAsync(Backend, node, ct).ConfigureAwait(false);
            if (before is not null)
            {
                report($"draining {node}: waiting up to {timeout.TotalSeconds:0} s for its {before.CurrentSessions} session(s) to end");
                removal = await DrainAsync(runtime, node, timeout, shutdownRemaining, ct).ConfigureAwait(false);
                if (removal.Outcome == RemovalOutcome.TimedOut)
                {
                    await audit.RecordAsync(actor, "haproxy.remove-node", $"{topology}/{node}",
                        $"{node} still had {removal.SessionsLeft} sessions after {timeout.TotalSeconds:0} s; left draining, nothing removed", ct: ct).ConfigureAwait(false);
                    return new WebNodeChangeResult([new("timeout", $"'{node}' still has {removal.SessionsLeft} sessions after {timeout.TotalSeconds:0} s; it stays in drain "
                        + "and its container runs. Wait longer or shut the remaining sessions.")], null, await runtime.GetServerAsync(Backend, node, ct).ConfigureAwait(false), removal);
                }
                report($"{node} drained and in maintenance ({removal.SessionsLeft} session(s) left to the container's stop)");
            }
            else report($"HAProxy has no server {node} any more; removing the rest");

            var saved = await topologies.SaveAsync(updated!, actor, $"removed web node {node}", ct).ConfigureAwait(false);
            report($"recorded as revision {saved.Revision?.Number}; stopping {container}");
            // A graceful stop first: the plan's remove step would kill it.
            await engine.StopContainerAsync(container, StopGrace, ct).ConfigureAwait(false);
            var failed = await RunStepsAsync(prepared!, prepared!.Plan.Steps, report, ct).ConfigureAwait(false);
            var summary = $"removed web node {node} from '{topology}' ({removal?.SessionsLeft ?? 0} sessions shut)"
                          + (failed is null ? "" : $"; not finished: {failed}");
            await audit.RecordAsync(actor, "haproxy.remove-node", $"{topology}/{node}", summary,
                before is null ? "not in HAProxy" : $"{before.Address}:{before.Port} weight {before.Weight}", null, ct).ConfigureAwait(false);
            if (failed is not null)
                return new WebNodeChangeResult([new("haproxy", $"{node} is out of HAProxy and of revision {saved.Revision?.Number}, but a step failed "
                    + $"(apply '{topology}' finishes it): {failed}")], saved.Revision, null, removal);
            report($"{node} removed");
            return new WebNodeChangeResult([], saved.Revision, null, removal);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// The load balancer must run, and planning the changed topology must give exactly the expected steps: anything
    /// else means the deployed stack differs from the stored topology, and an apply should settle that first.
    /// </summary>
    private async Task<PreparedDeploy?> CheckDeployedAsync(TopologySpec updated, StoredTopology stored,
        IReadOnlyList<(PlanAction Action, string Name)> expected, List<ValidationProblem> problems, CancellationToken ct)
    {
        var observed = await engine.ObserveAsync(updated.Name, ct).ConfigureAwait(false);
        if (LoadBalancerOf(observed) is not { IsRunning: true })
        {
            problems.Add(new("topology", $"'{updated.Name}' has no running load balancer ({LoadBalancerName(updated.Name)}); deploy it first (apply)."));
            return null;
        }
        var prepared = await deployer.PlanAsync(updated, ct).ConfigureAwait(false);
        problems.AddRange(prepared.Plan.Problems.Select(DeployOperations.ToProblem));
        if (problems.Count > 0) return null;
        var unexpected = prepared.Plan.Steps.Where(s => !expected.Contains((s.Action, s.Name))).ToList();
        var missing = expected.Where(e => !prepared.Plan.Steps.Any(s => (s.Action, s.Name) == e)).ToList();
        if (unexpected.Count > 0 || missing.Count > 0)
            problems.Add(new("topology", $"The deployed '{updated.Name}' differs from revision {stored.Revision.Number} "
                + $"(the change would also: {string.Join("; ", unexpected.Select(s => s.ToString()).DefaultIfEmpty("nothing else"))}"
                + $"{(missing.Count == 0 ? "" : $"; and would not: {string.Join("; ", missing.Select(m => $"{m.Action.ToString().ToLowerInvariant()} {m.Name}"))}")}); apply it first."));
        return problems.Count > 0 ? null : prepared;
    }

    /// <summary>
    /// Drain, then wait on the injected clock until the server has no sessions or the timeout passes. No runtime
    /// <c>del server</c>: HAProxy 2.6 refuses it for a server from the config file that uses resolvers ("other
    /// configuration elements pointing to it"), and every server of a deployed load balancer is in its file after the
    /// add's reload. The server goes to maintenance instead and the reload without it removes it; sessions still open
    /// at the timeout (when asked to go on) end with the container's stop.
    /// </summary>
    private async Task<ServerRemoval> DrainAsync(IHaproxyRuntime runtime, string node, TimeSpan timeout, bool shutdownRemaining, CancellationToken ct)
    {
        await runtime.SetStateAsync(Backend, node, ServerAdminState.Drain, ct).ConfigureAwait(false);
        var deadline = time.GetUtcNow() + timeout;
        int sessions;
        while (true)
        {
            sessions = (await runtime.GetServerAsync(Backend, node, ct).ConfigureAwait(false))?.CurrentSessions ?? 0;
            if (sessions == 0 || time.GetUtcNow() >= deadline) break;
            await Task.Delay(HaproxyRuntime.DrainPoll, time, ct).ConfigureAwait(false);
        }
        if (sessions > 0 && !shutdownRemaining) return new(RemovalOutcome.TimedOut, sessions);
        await runtime.SetStateAsync(Backend, node, ServerAdminState.Maint, ct).ConfigureAwait(false);
        return new(RemovalOutcome.Deleted, sessions);
    }

    /// <summary>Runs some of a prepared plan's steps through the deploy's executor; the failure message, or null.</summary>
    private async Task<string?> RunStepsAsync(PreparedDeploy prepared, IEnumerable<PlanStep> steps, Action<string> report, CancellationToken ct)
    {
        var plan = prepared.Plan with { Steps = [.. steps] };
        if (plan.IsEmpty) return null;
        DeployProgress? last = null;
        await foreach (var e in new DeployExecutor(engine, settings, time).RunAsync(plan, prepared.Desired, ct).ConfigureAwait(false))
        {
            last = e;
            if (e.Kind is DeployEventKind.StepProgress or DeployEventKind.StepSucceeded) report(e.Message);
        }
        return last is { Kind: DeployEventKind.Completed } ? null : last?.Message ?? "stopped before it finished";
    }

    /// <summary>
    /// Adds the running container to HAProxy without a reload, at the address the load balancer resolves for it. Only
    /// a dynamic balance algorithm allows that; otherwise (or when HAProxy refuses) the reload that follows adds it.
    /// </summary>
    private async Task AddAtRuntimeAsync(IHaproxyRuntime runtime, string topology, string node, int weight, Action<string> report, CancellationToken ct)
    {
        var backend = (await runtime.ListBackendsAsync(ct).ConfigureAwait(false)).FirstOrDefault(b => b.Name == Backend);
        if (backend is null || !DynamicAlgorithms.Contains(backend.Algorithm))
        {
            report($"balance {backend?.Algorithm} does not take servers at runtime; the reload adds {node}");
            return;
        }
        var resolved = await engine.ExecAsync(LoadBalancerName(topology), ["getent", "ahostsv4", node], ct).ConfigureAwait(false);
        var address = resolved.Succeeded ? resolved.Stdout.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() : null;
        if (address is null)
        {
            report($"the load balancer cannot resolve {node} yet; the reload adds it");
            return;
        }
        try
        {
            await runtime.AddServerAsync(Backend, new DynamicServer(node, address, StackPorts.WebNode, weight), ct).ConfigureAwait(false);
            report($"added to HAProxy at runtime as {Backend}/{node} ({address}:{StackPorts.WebNode}, weight {weight})");
        }
        catch (HaproxyCommandException e)
        {
            report($"{e.Message}; the reload adds {node}");
        }
    }

    private async Task<WebNodeChangeResult> ExclusiveAsync(Actor actor, string topology, Func<Task<WebNodeChangeResult>> change)
    {
        if (!_running.TryAdd(topology, actor.Name))
            return new([new("topology", $"{_running.GetValueOrDefault(topology)} is changing the web nodes of '{topology}'; wait for it to finish.")]);
        try
        {
            return await change().ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(topology, out _);
        }
    }

    private async Task<StoredTopology?> LoadAsync(string name, List<ValidationProblem> problems, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            problems.Add(new("topology", "name the deployed topology."));
            return null;
        }
        var stored = await topologies.GetAsync(name, ct: ct).ConfigureAwait(false);
        if (stored is null) problems.Add(new("topology", $"No topology named '{name}'."));
        return stored;
    }

    private static EngineContainer? LoadBalancerOf(ObservedStack observed) =>
        observed.Containers.FirstOrDefault(c => c.Node == DesiredStackBuilder.LoadBalancerNode && c.Role == DesiredStackBuilder.RoleLabel(NodeRole.LoadBalancer));

    private static string LoadBalancerName(string topology) => DesiredStackBuilder.ContainerName(topology, DesiredStackBuilder.LoadBalancerNode);

    private static bool IsName(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}

public static class DeployedLoadBalancerServices
{
    /// <summary>Needs <see cref="DeployServices.AddDeploy"/> and the core services (topology store, audit, TimeProvider). TryAdd, so tests can put a double first.</summary>
    public static IServiceCollection AddDeployedLoadBalancers(this IServiceCollection services)
    {
        services.TryAddSingleton<IDeployedLoadBalancers, DeployedLoadBalancers>();
        return services;
    }
}
