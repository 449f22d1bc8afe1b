using System.Collections.Immutable;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HaPortal.Core.Deploy;

public enum DeployEventKind { StepStarted, StepProgress, StepSucceeded, StepFailed, Completed, Failed }

/// <summary>
/// One event of a running apply or destroy. The last event is <see cref="DeployEventKind.Completed"/> or
/// <see cref="DeployEventKind.Failed"/>; a failure names the step, its node and the engine's or server's
/// message, and <see cref="Done"/> lists what had already been done.
/// </summary>
public sealed record DeployProgress(
    DeployEventKind Kind,
    PlanStep? Step,
    string Message,
    TimeSpan Elapsed,
    ImmutableArray<PlanStep> Done)
{
    public bool IsFinal => Kind is DeployEventKind.Completed or DeployEventKind.Failed;
}

/// <summary>A step could not finish: not ready in time, or a server refused. The message is for the operator.</summary>
public sealed class DeployStepException(string message) : Exception(message);

/// <summary>A step waited for another that failed; it stops without failing itself.</summary>
internal sealed class DependencyFailedException() : Exception("A step this one depends on failed.");

/// <summary>
/// Runs a <see cref="DeployPlan"/> and waits on real readiness (a query answered, replication caught up, an HTTP check
/// passed). Images are pulled first and networks and volumes made next; a failure there stops the apply before any
/// container exists. Then the steps overlap as far as their dependencies allow (<see cref="DependenciesOf"/>): a new
/// container is created and given its files at once, and started when what it depends on serves; a replica starts
/// with the primary and waits for it only before replicating; the load balancer starts last. Replacements, network
/// moves and reloads keep strict tier order. Removals run after, group by group. The first failed step stops
/// everything not yet started; steps already running finish. Applying again plans from whatever is then running, so
/// it continues where this one stopped.
/// </summary>
public sealed class DeployExecutor(IContainerEngine engine, DeploySettings settings, TimeProvider time, ILogger? logger = null)
{
    private readonly ILogger _log = logger ?? NullLogger.Instance;
    // For the nested Run, which cannot reach the primary constructor's parameters.
    private IContainerEngine Engine => engine;

    // Between readiness probes (those that wait for a container to come up also poll inside it at this pace).
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <param name="desired">The stack the plan was made for; null for a destroy plan (removals only).</param>
    public IAsyncEnumerable<DeployProgress> RunAsync(DeployPlan plan, DesiredStack? desired, CancellationToken ct) =>
        DeployRun.RunAsync(plan, time, _log, (run, token) => RunPlanAsync(new Run(this, run, desired), plan, token), ct);

    /// <summary>
    /// What a step waits for. <see cref="BeforeBegin"/>: steps that must be done before it does anything (a new
    /// container: only the images, networks and volumes it is made from). <see cref="CreatedFirst"/>: new containers
    /// that must exist before this one is created. <see cref="BeforeStart"/>: before its container starts or the step
    /// acts on the running stack. <see cref="BeforeServing"/>: a new container that started early boots meanwhile, but
    /// these must be done before it is put to work (a replica replicates, a web node's health is checked).
    /// </summary>
    internal sealed record StepDependencies(
        IReadOnlyList<PlanStep> BeforeBegin, IReadOnlyList<PlanStep> CreatedFirst, IReadOnlyList<PlanStep> BeforeStart,
        IReadOnlyList<PlanStep> BeforeServing);

    /// <summary>
    /// The dependency order of an apply: every step waits for the steps of lower groups, except that a new container
    /// is created early, and new replicas and web nodes start at once and boot beside the primary: a replica
    /// replicates once the primary is bootstrapped, a web node (which retries its database itself) is checked once the
    /// primary and the router serve, without waiting for new replicas (the load balancer, which waits for everything,
    /// lets no traffic in before they replicate). New containers are created tier after tier: creating one copies its
    /// image (on the vfs storage driver all of it), so the databases, which are slowest to become ready, get the disk
    /// first and boot while the web nodes and the load balancer are still being created.
    /// </summary>
    internal static StepDependencies DependenciesOf(PlanStep step, IReadOnlyList<PlanStep> build)
    {
        var lower = build.Where(o => o.Group < step.Group).ToList();
        if (step is not { Object: PlanObject.Container, Action: PlanAction.Create }) return new(lower, [], lower, []);
        var setup = lower.Where(o => o.Tier <= DeployTier.Network).ToList();
        List<PlanStep> createdFirst = [.. lower.Where(o => o is { Object: PlanObject.Container, Action: PlanAction.Create })];
        return step.Tier switch
        {
            DeployTier.Replicas => new(setup, createdFirst, setup, [.. lower.Where(o => o.Tier == DeployTier.Primary)]),
            DeployTier.Web => new(setup, createdFirst, setup, [.. lower.Where(o => o.Tier != DeployTier.Replicas)]),
            _ => new(setup, createdFirst, lower, []),
        };
    }

    private static async Task RunPlanAsync(Run run, DeployPlan plan, CancellationToken ct)
    {
        var build = plan.Steps.Where(s => s.Action != PlanAction.Remove).ToList();
        if (build.Count > 0 && !await run.BuildAsync(build, ct).ConfigureAwait(false)) return;
        // Removals run after everything new is in place, group by group (load balancer first, networks, volumes).
        if (await run.Shared.GroupsAsync(plan.Steps.Where(s => s.Action == PlanAction.Remove), run.ExecuteAsync, ct).ConfigureAwait(false))
            run.Shared.Complete();
    }

    /// <summary>One apply on this engine: the shared <see cref="DeployRun"/> (events, outcome) and the overlapped build order.</summary>
    private sealed class Run(DeployExecutor executor, DeployRun run, DesiredStack? desired)
    {
        public DeployRun Shared => run;

        public Task ExecuteAsync(PlanStep step, Action<string> report, CancellationToken ct) => executor.ExecuteAsync(step, desired, report, ct);

        /// <summary>Every create, recreate, connect, reload and pull of the plan, overlapped as <see cref="DependenciesOf"/> allows.</summary>
        public async Task<bool> BuildAsync(IReadOnlyList<PlanStep> build, CancellationToken ct)
        {
            var finished = build.ToDictionary(s => s, _ => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
            var created = build.ToDictionary(s => s, _ => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
            // Cancelled by the first failure: nothing waiting starts after it; what already runs finishes.
            using var stopped = CancellationTokenSource.CreateLinkedTokenSource(ct);

            async Task<bool> ReadyAsync(IReadOnlyList<PlanStep> dependencies, Dictionary<PlanStep, TaskCompletionSource<bool>>? signals = null)
            {
                if (stopped.IsCancellationRequested) return false;
                try
                {
                    var results = await Task.WhenAll(dependencies.Select(d => (signals ?? finished)[d].Task)).WaitAsync(stopped.Token).ConfigureAwait(false);
                    return results.All(ok => ok) && !stopped.IsCancellationRequested;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    return false;
                }
            }

            async Task StepAsync(PlanStep step)
            {
                var ok = false;
                var container = step.Object == PlanObject.Container && step.Action is PlanAction.Create or PlanAction.Recreate
                    ? Need(desired).Containers.Single(c => c.Definition.Name == step.Name)
                    : null;
                var state = "not begun";
                try
                {
                    var dependencies = DependenciesOf(step, build);
                    if (!await ReadyAsync(dependencies.BeforeBegin).ConfigureAwait(false)) return;
                    run.Started(step);
                    var report = run.Reporter(step);
                    if (container is not null && step.Action == PlanAction.Create)
                    {
                        if (!await ReadyAsync(dependencies.CreatedFirst, created).ConfigureAwait(false))
                        {
                            run.Interrupted(step, state);
                            return;
                        }
                        await executor.CreateAsync(step, desired!, container, ct).ConfigureAwait(false);
                        state = "created, not started";
                        created[step].TrySetResult(true);
                        if (dependencies.BeforeStart.Any(d => !finished[d].Task.IsCompleted))
                            report($"created; starts once {Describe(dependencies.BeforeStart)} {(dependencies.BeforeStart.Count == 1 ? "is" : "are")} done");
                    }
                    if (!await ReadyAsync(dependencies.BeforeStart).ConfigureAwait(false))
                    {
                        run.Interrupted(step, state);
                        return;
                    }
                    if (container is not null)
                    {
                        if (step.Action == PlanAction.Recreate)
                        {
                            report("removing the old container");
                            await executor.CreateAsync(step, desired!, container, ct).ConfigureAwait(false);
                        }
                        state = "started, not ready";
                        var gate = dependencies.BeforeServing;
                        await executor.StartAsync(desired!, container, report,
                            gate.Count == 0 ? null : async _ =>
                            {
                                if (gate.Any(d => !finished[d].Task.IsCompleted))
                                    report($"{(container.Role == NodeRole.Replica ? "answers; replicates" : "booting; checked")} once {Describe(gate)} {(gate.Count == 1 ? "is" : "are")} done");
                                return await ReadyAsync(gate).ConfigureAwait(false);
                            }, ct).ConfigureAwait(false);
                    }
                    else
                        await executor.ExecuteAsync(step, desired, report, ct).ConfigureAwait(false);
                    run.Succeeded(step);
                    ok = true;
                }
                catch (DependencyFailedException)
                {
                    // A new replica that runs without replication, or a web node never checked, would look finished to
                    // the next plan: stop it, so the next apply sees it stopped and recreates it.
                    try
                    {
                        await executor.Engine.StopContainerAsync(step.Name, TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
                        run.Interrupted(step, "stopped before it was put to work");
                    }
                    catch (ContainerEngineException e)
                    {
                        run.Interrupted(step, $"running without replication; stop or remove it before the next apply: {e.Message}");
                    }
                }
                catch (Exception e) when (e is ContainerEngineException or DeployStepException)
                {
                    run.Failed(step, e.Message);
                    await stopped.CancelAsync().ConfigureAwait(false);
                }
                finally
                {
                    created[step].TrySetResult(ok);
                    finished[step].TrySetResult(ok);
                }
            }

            await Task.WhenAll(build.Select(step => Task.Run(() => StepAsync(step), ct))).ConfigureAwait(false);
            return run.Outcome();
        }

        private static string Describe(IReadOnlyList<PlanStep> steps) =>
            steps.Count <= 3 ? string.Join(", ", steps.Select(s => $"'{s}'")) : $"{steps.Count} earlier steps";
    }

    /// <summary>Creates a container (removing the one it replaces), joins it to the sql network and puts its files in; does not start it.</summary>
    private async Task CreateAsync(PlanStep step, DesiredStack stack, DesiredContainer container, CancellationToken ct)
    {
        if (step is { Action: PlanAction.Recreate, ObservedId: { } old })
            await engine.RemoveContainerAsync(old, ct).ConfigureAwait(false);
        // The check interval is outside the settings hash: a changed cadence of observation recreates nothing.
        await engine.CreateContainerAsync(container.Definition with { HealthCheckInterval = settings.HealthCheckInterval }, ct).ConfigureAwait(false);
        // By name from here on (unique on the engine, and what an operator recognises in a message).
        var name = container.Definition.Name;
        if (container.SqlAliases is { } aliases)
            await engine.ConnectNetworkAsync(stack.SqlNetwork, name, aliases, ct).ConfigureAwait(false);
        if (!container.Files.IsEmpty) await engine.PutFilesAsync(name, container.Files, ct).ConfigureAwait(false);
    }

    private async Task StartAsync(DesiredStack stack, DesiredContainer container, Action<string> report,
        Func<CancellationToken, Task<bool>>? beforeServing, CancellationToken ct)
    {
        var name = container.Definition.Name;
        await engine.StartContainerAsync(name, ct).ConfigureAwait(false);
        report("started; waiting until it serves");
        await new NodeReadiness(engine, settings, time, stack, container, name, report, beforeServing).WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Every step that is not a container's create or recreate.</summary>
    private async Task ExecuteAsync(PlanStep step, DesiredStack? desired, Action<string> report, CancellationToken ct)
    {
        switch (step.Action, step.Object)
        {
            case (PlanAction.Pull, PlanObject.Image):
                await engine.PullImageAsync(step.Name, report, ct).ConfigureAwait(false);
                break;
            case (PlanAction.Create, PlanObject.Network):
                var owner = Need(desired);
                await engine.EnsureNetworkAsync(step.Name, DesiredStackBuilder.NetworkLabels(owner.Topology),
                    step.Name == owner.SqlNetwork ? owner.SqlSubnet : null, ct).ConfigureAwait(false);
                break;
            case (PlanAction.Create, PlanObject.Volume):
                await engine.EnsureVolumeAsync(step.Name, DesiredStackBuilder.VolumeLabels(Need(desired).Topology, step.Node!), ct).ConfigureAwait(false);
                break;
            case (PlanAction.Reload, PlanObject.Container):
                var lb = Need(desired).Containers.Single(c => c.Definition.Name == step.Name);
                await ReloadLoadBalancerAsync(lb, report, ct).ConfigureAwait(false);
                await new NodeReadiness(engine, settings, time, desired!, lb, step.Name, report).WaitAsync(ct).ConfigureAwait(false);
                break;
            case (PlanAction.Connect, PlanObject.Container):
                var member = Need(desired).Containers.Single(c => c.Definition.Name == step.Name);
                // Aliases of an existing endpoint cannot be changed in place: leave, then join with the new ones.
                await engine.DisconnectNetworkAsync(desired!.SqlNetwork, step.Name, ct).ConfigureAwait(false);
                await engine.ConnectNetworkAsync(desired.SqlNetwork, step.Name, member.SqlAliases ?? [], ct).ConfigureAwait(false);
                break;
            case (PlanAction.Disconnect, PlanObject.Container):
                await engine.DisconnectNetworkAsync(Need(desired).SqlNetwork, step.Name, ct).ConfigureAwait(false);
                break;
            case (PlanAction.Remove, PlanObject.Container):
                await engine.RemoveContainerAsync(step.ObservedId ?? step.Name, ct).ConfigureAwait(false);
                break;
            case (PlanAction.Remove, PlanObject.Network):
                await engine.RemoveNetworkAsync(step.ObservedId ?? step.Name, ct).ConfigureAwait(false);
                break;
            case (PlanAction.Remove, PlanObject.Volume):
                await engine.RemoveVolumeAsync(step.Name, ct).ConfigureAwait(false);
                break;
            default:
                throw new DeployStepException($"The executor has no way to {step.Action} a {step.Object}.");
        }
    }

    /// <summary>
    /// Puts the new haproxy.cfg beside the old one, lets HAProxy check it, and only then moves it in place and sends
    /// the master (PID 1, master-worker mode) SIGUSR2: new workers start, old ones finish their connections.
    /// A refused file stops the apply with HAProxy's own words; the old file keeps serving.
    /// </summary>
    private async Task ReloadLoadBalancerAsync(DesiredContainer lb, Action<string> report, CancellationToken ct)
    {
        var name = lb.Definition.Name;
        var cfg = lb.Files.Single(f => f.Path == DesiredStackBuilder.HaproxyCfgPath);
        var candidate = cfg.Path + ".new";
        await engine.PutFilesAsync(name, [cfg with { Path = candidate }], ct).ConfigureAwait(false);
        var check = await engine.ExecAsync(name, ["haproxy", "-c", "-f", candidate], ct).ConfigureAwait(false);
        if (!check.Succeeded)
        {
            await engine.ExecAsync(name, ["rm", "-f", candidate], ct).ConfigureAwait(false);
            throw new DeployStepException($"HAProxy refused the new haproxy.cfg (the old one keeps serving): {(check.Stdout + check.Stderr).Trim()}");
        }
        report("haproxy -c: configuration valid");
        // The container's config-hash label cannot change while it runs; this file records what is installed.
        var install = await engine.ExecAsync(name,
            ["sh", "-c", "mv \"$1\" \"$2\" && mkdir -p \"$(dirname \"$3\")\" && printf '%s' \"$4\" > \"$3\" && kill -USR2 1",
                "sh", candidate, cfg.Path, DesiredStackBuilder.InstalledConfigHashPath, lb.ConfigHash], ct).ConfigureAwait(false);
        if (!install.Succeeded)
            throw new DeployStepException($"Could not install the new haproxy.cfg and reload: {(install.Stdout + install.Stderr).Trim()}");
        report("reloaded (SIGUSR2 to the master); waiting until it serves");
    }

    private static DesiredStack Need(DesiredStack? desired) =>
        desired ?? throw new DeployStepException("This step creates something, but the plan was run without its desired stack.");

    internal static TimeSpan PollInterval => Poll;
}

/// <summary>
/// Deploy steps in the log. Step texts and messages name objects, reasons and the engine's or server's words,
/// never a secret: secrets live only in containers' environment and commands refer to variables.
/// </summary>
internal static partial class DeployLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Deploy {Topology}: {Step} started")]
    public static partial void StepStarted(ILogger logger, string topology, string step);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Deploy {Topology}: {Step} done at {Seconds:0.0} s")]
    public static partial void StepSucceeded(ILogger logger, string topology, string step, double seconds);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Deploy {Topology}: {Step} on node {Node} failed: {Reason}")]
    public static partial void StepFailed(ILogger logger, string topology, string step, string? node, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Deploy {Topology}: {Count} step(s) done in {Seconds:0.0} s")]
    public static partial void Completed(ILogger logger, string topology, int count, double seconds);
}
