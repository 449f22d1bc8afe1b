using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using HaPortal.Core.Audit;
using HaPortal.Core.Docker;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HaPortal.Core.Deploy;

/// <summary>
/// What <see cref="DeployOperations"/> needs from a deployer. <see cref="StackDeployer"/> is the real one (through
/// <see cref="StackDeployerRunner"/>); the seam lets the deploy page and API be tested with a scripted deployer, and
/// keeps them on four calls however the deployer's own signatures grow.
/// </summary>
public interface IDeployRunner
{
    Task<PreparedDeploy> PlanAsync(TopologySpec spec, CancellationToken ct);
    IAsyncEnumerable<DeployProgress> ApplyAsync(PreparedDeploy prepared, CancellationToken ct);
    Task<DeployPlan> PlanDestroyAsync(string topology, bool includeVolumes, CancellationToken ct);
    IAsyncEnumerable<DeployProgress> DestroyAsync(DeployPlan destroyPlan, CancellationToken ct);
    Task<StackStatus> StatusAsync(string topology, CancellationToken ct);
}

/// <summary>The real <see cref="IDeployRunner"/>: the one place that calls <see cref="StackDeployer"/>.</summary>
public sealed class StackDeployerRunner(StackDeployer deployer) : IDeployRunner
{
    public Task<PreparedDeploy> PlanAsync(TopologySpec spec, CancellationToken ct) => deployer.PlanAsync(spec, ct);
    public IAsyncEnumerable<DeployProgress> ApplyAsync(PreparedDeploy prepared, CancellationToken ct) => deployer.ApplyAsync(prepared, ct);
    public Task<DeployPlan> PlanDestroyAsync(string topology, bool includeVolumes, CancellationToken ct) => deployer.PlanDestroyAsync(topology, includeVolumes, ct);
    public IAsyncEnumerable<DeployProgress> DestroyAsync(DeployPlan destroyPlan, CancellationToken ct) => deployer.DestroyAsync(destroyPlan, ct);
    public Task<StackStatus> StatusAsync(string topology, CancellationToken ct) => deployer.StatusAsync(topology, ct);
}

/// <summary>
/// A stored topology and what applying it would do. <see cref="TopologyErrors"/> non-empty: the stored topology is
/// invalid and nothing was planned. <see cref="PlanProblems"/> non-empty: planned, but it must not run (an image is
/// missing, a tier this version cannot deploy), each with the field it belongs to.
/// </summary>
public sealed record DeployPreview(
    string Topology,
    StoredTopology? Stored,
    IReadOnlyList<ValidationProblem> TopologyErrors,
    PreparedDeploy? Prepared)
{
    public bool Found => Stored is not null;
    public DeployPlan? Plan => Prepared?.Plan;
    public IReadOnlyList<ValidationProblem> PlanProblems => Plan is null ? [] : [.. Plan.Problems.Select(DeployOperations.ToProblem)];
    public bool CanApply => Found && TopologyErrors.Count == 0 && Plan is { CanApply: true };
}

/// <summary>
/// Deploys for people and scripts, the same for the deploy page, the HTTP API and the command line: checks the actor,
/// plans from the stored topology, runs the plan one deploy per topology at a time, and audits every apply and destroy
/// with what was there before and what was done. Singleton; thread-safe.
/// </summary>
public sealed partial class DeployOperations(IDeployRunner runner, TopologyStore topologies, AuditLog audit, DeploySettings settings)
{
    private readonly ConcurrentDictionary<string, string> _running = new(StringComparer.Ordinal);

    /// <summary>Who runs a deploy of this topology now, or null.</summary>
    public string? RunningBy(string topology) => _running.GetValueOrDefault(topology);

    public async Task<DeployPreview> PreviewAsync(string name, CancellationToken ct)
    {
        var stored = await topologies.GetAsync(name, ct: ct).ConfigureAwait(false);
        if (stored is null) return new DeployPreview(name, null, [], null);
        var errors = TopologyValidator.Validate(stored.Spec).Errors.ToList();
        if (errors.Count > 0) return new DeployPreview(name, stored, errors, null);
        return new DeployPreview(name, stored, [], await runner.PlanAsync(stored.Spec, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// Runs a preview's plan. The role check happens here, before the stream starts (so an API can still answer 403);
    /// a preview that cannot apply, or a deploy of the same topology already running, ends in one Failed event.
    /// </summary>
    public IAsyncEnumerable<DeployProgress> ApplyAsync(Actor actor, DeployPreview preview, CancellationToken ct)
    {
        actor.EnsureCanChange($"deploy '{preview.Topology}'");
        if (!preview.CanApply)
            return Refused(preview.Topology, preview.Found
                ? string.Join(Environment.NewLine, preview.TopologyErrors.Concat(preview.PlanProblems))
                : $"No topology named '{preview.Topology}'.");
        return ApplyAsync(actor, preview.Prepared!, $"revision {preview.Stored!.Revision.Number}", ct);
    }

    /// <summary>Plans a topology that need not be stored (the command line's topology file).</summary>
    public Task<PreparedDeploy> PlanAsync(TopologySpec spec, CancellationToken ct) => runner.PlanAsync(spec, ct);

    /// <summary>Runs a plan made by <see cref="PlanAsync"/>; <paramref name="source"/> says in the audit where the topology came from.</summary>
    public IAsyncEnumerable<DeployProgress> ApplyAsync(Actor actor, PreparedDeploy prepared, string source, CancellationToken ct)
    {
        actor.EnsureCanChange($"deploy '{prepared.Plan.Topology}'");
        if (!prepared.Plan.CanApply)
            return Refused(prepared.Plan.Topology, string.Join(Environment.NewLine, prepared.Plan.Problems));
        return RunAsync(actor, "deploy.apply", prepared.Plan.Topology, source, token => runner.ApplyAsync(prepared, token), prepared.Plan, ct);
    }

    public Task<DeployPlan> PlanDestroyAsync(string topology, bool includeVolumes, CancellationToken ct) =>
        runner.PlanDestroyAsync(topology, includeVolumes, ct);

    /// <summary>Removes what a destroy plan lists (made by <see cref="PlanDestroyAsync"/>). Same rules as <see cref="ApplyAsync"/>.</summary>
    public IAsyncEnumerable<DeployProgress> DestroyAsync(Actor actor, DeployPlan destroyPlan, CancellationToken ct)
    {
        actor.EnsureCanChange($"destroy '{destroyPlan.Topology}'");
        var withVolumes = destroyPlan.Steps.Any(s => s.Object == PlanObject.Volume);
        return RunAsync(actor, "deploy.destroy", destroyPlan.Topology, withVolumes ? "with data volumes" : "data volumes kept",
            token => runner.DestroyAsync(destroyPlan, token), destroyPlan, ct);
    }

    public Task<StackStatus> StatusAsync(string topology, CancellationToken ct) => runner.StatusAsync(topology, ct);

    /// <summary>
    /// Where the stack's load balancer answers: the publish address, or the portal's own host when the port is
    /// published on every interface (then the portal's host is the engine's host for a local engine).
    /// </summary>
    public Uri LoadBalancerUrl(TopologySpec spec, Uri portal)
    {
        var host = settings.PublishAddress is "0.0.0.0" or "::" or "" ? portal.Host : settings.PublishAddress;
        return new UriBuilder(Uri.UriSchemeHttp, host, spec.LoadBalancer.PublishPort).Uri;
    }

    private async IAsyncEnumerable<DeployProgress> RunAsync(Actor actor, string action, string topology, string what,
        Func<CancellationToken, IAsyncEnumerable<DeployProgress>> run, DeployPlan plan, [EnumeratorCancellation] CancellationToken ct)
    {
        if (!_running.TryAdd(topology, actor.Name))
        {
            yield return new DeployProgress(DeployEventKind.Failed, null,
                $"A deploy of '{topology}' is already running (started by {RunningBy(topology)}); wait for it to finish.", TimeSpan.Zero, []);
            yield break;
        }
        DeployProgress? last = null;
        string? before = null;
        try
        {
            before = Describe(await runner.StatusAsync(topology, ct).ConfigureAwait(false));
            await foreach (var e in run(ct).ConfigureAwait(false))
            {
                last = e;
                yield return e;
            }
        }
        finally
        {
            // Also when cancelled or broken part-way: containers may already have changed.
            if (before is not null) await RecordAsync(actor, action, topology, what, before, plan, last).ConfigureAwait(false);
            _running.TryRemove(topology, out _);
        }
    }

    private async Task RecordAsync(Actor actor, string action, string topology, string what, string? before, DeployPlan plan, DeployProgress? last)
    {
        var outcome = last switch
        {
            { Kind: DeployEventKind.Completed } => $"completed, {last.Done.Length} of {plan.Steps.Length} step(s)",
            { Kind: DeployEventKind.Failed, Step: { } step } => $"failed at '{step}'{(step.Node is null ? "" : $" on node '{step.Node}'")}",
            { Kind: DeployEventKind.Failed } => "failed",
            _ => "stopped before it finished (cancelled)",
        };
        var after = last is { IsFinal: true }
            ? string.Join(Environment.NewLine, last.Done.Select(s => s.ToString()).Append(last.Message))
            : "(stopped: check the status)";
        // The deploy has already changed the engine: its record must land even when the caller has gone.
        await audit.RecordAsync(actor, action, topology, $"{action} {topology} ({what}): {outcome}", before, after, CancellationToken.None)
            .ConfigureAwait(false);
    }

    private static string Describe(StackStatus status) => status.Exists
        ? string.Join(Environment.NewLine, status.Nodes.Select(n => $"{n.Node} {n.Role} {n.State}{(n.Health is null ? "" : $" ({n.Health})")} {n.Image}"))
        : "nothing on the engine";

    private static async IAsyncEnumerable<DeployProgress> Refused(string topology, string message)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield return new DeployProgress(DeployEventKind.Failed, null, $"'{topology}' cannot be deployed: {message}", TimeSpan.Zero, []);
    }

    /// <summary>A plan problem as a field problem: "database.flavor: …" keeps its field, others belong to the plan.</summary>
    public static ValidationProblem ToProblem(string problem) =>
        FieldPrefix().Match(problem) is { Success: true } m ? new ValidationProblem(m.Groups[1].Value, m.Groups[2].Value) : new ValidationProblem("plan", problem);

    [GeneratedRegex(@"^([a-zA-Z][\w.\[\]]*): (.+)$", RegexOptions.Singleline)]
    private static partial Regex FieldPrefix();
}

public static class DeployServices
{
    /// <summary>
    /// The deployer on the engine named by the Docker section (local socket by default), images and publishing from
    /// the Deploy section. TryAdd throughout, so tests and other registrations can put their own first.
    /// </summary>
    public static IServiceCollection AddDeploy(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(configuration.GetSection(ContainerEngineOptions.Section).Get<ContainerEngineOptions>() ?? new ContainerEngineOptions());
        services.TryAddSingleton(configuration.GetSection(DeploySettings.Section).Get<DeploySettings>() ?? new DeploySettings());
        services.TryAddSingleton<IContainerEngine, DockerEngine>();
        // Needs the Data Protection provider and the database of AddPortalCore.
        services.TryAddSingleton<SecretsStore>();
        services.TryAddSingleton<StackDeployer>();
        services.TryAddSingleton<IDeployRunner, StackDeployerRunner>();
        services.TryAddSingleton<DeployOperations>();
        return services;
    }
}
