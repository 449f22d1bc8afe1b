using System.Collections.Immutable;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HaPortal.Core.Deploy;

/// <summary>
/// Runs a Swarm <see cref="DeployPlan"/> as a <see cref="DeployRun"/>, group after group. A created or updated service is
/// waited on until a new task of it runs (Swarm holds a task in "starting" until the image's health check passes),
/// then, when that task runs on this engine's own node, until it really serves, with the Docker deploy's checks
/// (<see cref="NodeReadiness"/>: SQL answered, users and replication in place, GTID position reached, HTTP checks).
/// A removed service is waited on until this node holds none of its task containers, and network and volume removals
/// are retried until those have let go of them, so a destroy ends with nothing left.
/// </summary>
public sealed class SwarmExecutor(IContainerEngine engine, ISwarmEngine swarm, DeploySettings settings, TimeProvider time, ILogger? logger = null)
{
    private readonly ILogger _log = logger ?? NullLogger.Instance;

    /// <param name="stack">The services the plan was made for; null for a destroy plan (removals only).</param>
    public IAsyncEnumerable<DeployProgress> RunAsync(DeployPlan plan, SwarmStack? stack, CancellationToken ct) =>
        DeployRun.RunAsync(plan, time, _log, async (run, token) =>
        {
            if (await run.GroupsAsync(plan.Steps, (step, report, t) => ExecuteAsync(step, stack, report, t), token).ConfigureAwait(false))
                run.Complete();
        }, ct);

    private async Task ExecuteAsync(PlanStep step, SwarmStack? stack, Action<string> report, CancellationToken ct)
    {
        switch (step.Action, step.Object)
        {
            case (PlanAction.Create, PlanObject.Network):
                await swarm.EnsureOverlayNetworkAsync(step.Name, DesiredStackBuilder.NetworkLabels(Need(stack).Topology), ct).ConfigureAwait(false);
                break;
            case (PlanAction.Create or PlanAction.Update, PlanObject.Service):
                await CreateOrUpdateAsync(step, Need(stack), report, ct).ConfigureAwait(false);
                break;
            case (PlanAction.Remove, PlanObject.Service):
                await swarm.RemoveServiceAsync(step.ObservedId ?? step.Name, ct).ConfigureAwait(false);
                // Swarm removes the task containers a moment later; a destroy ends only when this node holds none.
                // (On other Swarm nodes they go the same way; the portal cannot see them.)
                if (step.ObservedId is { } id)
                    await UntilAsync($"remove the task containers of {step.Name}", async t =>
                    {
                        var left = await swarm.LocalTaskContainersAsync(id, t).ConfigureAwait(false);
                        return (left == 0, $"{left} left");
                    }, report, ct).ConfigureAwait(false);
                break;
            case (PlanAction.Remove, PlanObject.Config):
                await swarm.RemoveConfigAsync(step.ObservedId ?? step.Name, ct).ConfigureAwait(false);
                break;
            case (PlanAction.Remove, PlanObject.Network):
                // A removed service's task containers leave the network a moment after the service is gone.
                await RetryAsync($"remove network {step.Name}", () => engine.RemoveNetworkAsync(step.ObservedId ?? step.Name, ct), report, ct).ConfigureAwait(false);
                break;
            case (PlanAction.Remove, PlanObject.Volume):
                await RetryAsync($"remove volume {step.Name}", () => engine.RemoveVolumeAsync(step.Name, ct), report, ct).ConfigureAwait(false);
                break;
            default:
                throw new DeployStepException($"The Swarm executor has no way to {step.Action} a {step.Object}.");
        }
    }

    private async Task CreateOrUpdateAsync(PlanStep step, SwarmStack stack, Action<string> report, CancellationToken ct)
    {
        var service = stack.Services.Single(s => s.Name == step.Name);
        foreach (var config in service.Definition.Configs)
            await swarm.EnsureConfigAsync(config.ConfigName, config.Content, SwarmStackBuilder.ConfigLabels(stack.Topology, service.Node), ct).ConfigureAwait(false);

        var before = ImmutableHashSet<string>.Empty;
        if (step.Action == PlanAction.Update)
        {
            var observed = (await swarm.ObserveAsync(stack.Topology, ct).ConfigureAwait(false)).Services.SingleOrDefault(s => s.Name == service.Name)
                ?? throw new DeployStepException($"Service {service.Name} is no longer there; plan again.");
            before = [.. (await swarm.ListTasksAsync(observed.Id, ct).ConfigureAwait(false)).Select(t => t.Id)];
            await swarm.UpdateServiceAsync(observed.Id, observed.Version, service.Definition with { ForceUpdate = observed.ForceUpdate + 1 }, ct).ConfigureAwait(false);
            report("updated; waiting for its new task");
        }
        else
        {
            await swarm.CreateServiceAsync(service.Definition, ct).ConfigureAwait(false);
            report("created; waiting for its task");
        }

        var task = await WaitForTaskAsync(service.Name, before, report, ct).ConfigureAwait(false);
        var local = await swarm.LocalNodeIdAsync(ct).ConfigureAwait(false);
        if (task.NodeId != local || task.ContainerId is null)
        {
            report($"its task runs on Swarm node {task.NodeId}, which this engine cannot exec into: Swarm's health check passed");
            return;
        }
        await new NodeReadiness(engine, settings, time, stack.Stack, service.Container, task.ContainerId, report,
            primaryContainer: service.Role == NodeRole.Replica ? t => PrimaryContainerAsync(stack, local, t) : null).WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Waits for a running task not among <paramref name="before"/>; a failing one is reported with Swarm's error.</summary>
    private async Task<SwarmTask> WaitForTaskAsync(string service, ImmutableHashSet<string> before, Action<string> report, CancellationToken ct)
    {
        SwarmTask? running = null;
        await UntilAsync("run a task (Swarm waits for the image's health check)", async t =>
        {
            var tasks = (await swarm.ListTasksAsync(service, t).ConfigureAwait(false)).Where(x => !before.Contains(x.Id)).ToList();
            running = tasks.FirstOrDefault(x => x.IsRunning);
            var newest = tasks.FirstOrDefault();
            return (running is not null, newest is null ? "no task yet" : $"task {newest.State}{(newest.Error is null ? "" : $": {newest.Error}")}");
        }, report, ct).ConfigureAwait(false);
        return running!;
    }

    /// <summary>The primary's task container when it runs on this engine's node; null otherwise.</summary>
    private async Task<string?> PrimaryContainerAsync(SwarmStack stack, string? local, CancellationToken ct)
    {
        var primary = stack.Services.Single(s => s.Role == NodeRole.Primary);
        var task = (await swarm.ListTasksAsync(primary.Name, ct).ConfigureAwait(false)).FirstOrDefault(t => t.IsRunning);
        return task is not null && task.NodeId == local ? task.ContainerId : null;
    }

    private Task RetryAsync(string what, Func<Task> action, Action<string> report, CancellationToken ct) =>
        UntilAsync(what, async _ =>
        {
            try
            {
                await action().ConfigureAwait(false);
                return (true, "");
            }
            catch (ContainerEngineException e)
            {
                return (false, e.Message);
            }
        }, report, ct);

    /// <summary>Repeats a probe until it passes or <see cref="DeploySettings.ReadyTimeout"/> runs out.</summary>
    private async Task UntilAsync(string what, Func<CancellationToken, Task<(bool Ok, string Detail)>> probe, Action<string> report, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var last = "";
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var (ok, detail) = await probe(ct).ConfigureAwait(false);
            if (ok) return;
            if (detail != last && detail.Length > 0) report($"{what}: {detail}");
            last = detail;
            if (time.GetElapsedTime(started) > settings.ReadyTimeout)
                throw new DeployStepException($"Did not {what} within {settings.ReadyTimeout.TotalSeconds:0} s; last answer: {last}");
            await Task.Delay(DeployExecutor.PollInterval, time, ct).ConfigureAwait(false);
        }
    }

    private static SwarmStack Need(SwarmStack? stack) =>
        stack ?? throw new DeployStepException("This step creates something, but the plan was run without its services.");
}
