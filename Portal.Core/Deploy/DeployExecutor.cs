using System.Collections.Immutable;
using HaPortal.Core.Docker;
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

/// <summary>
/// Runs a <see cref="DeployPlan"/> on one engine as a <see cref="DeployRun"/>: groups in order, the steps of
/// a group in parallel, each container waited on until it really serves. Stops after the first group with a failed step; applying again
/// plans from whatever is then running, so it continues where this one stopped.
/// </summary>
public sealed class DeployExecutor(IContainerEngine engine, DeploySettings settings, TimeProvider time, ILogger? logger = null)
{
    private readonly ILogger _log = logger ?? NullLogger.Instance;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <param name="desired">The stack the plan was made for; null for a destroy plan (removals only).</param>
    public IAsyncEnumerable<DeployProgress> RunAsync(DeployPlan plan, DesiredStack? desired, CancellationToken ct) =>
        DeployRun.RunAsync(plan, time, _log, async (run, token) =>
        {
            if (await run.GroupsAsync(plan.Steps, (step, report, t) => ExecuteAsync(step, desired, report, t), token).ConfigureAwait(false))
                run.Complete();
        }, ct);

    private async Task ExecuteAsync(PlanStep step, DesiredStack? desired, Action<string> report, CancellationToken ct)
    {
        switch (step.Action, step.Object)
        {
            case (PlanAction.Create, PlanObject.Network):
                await engine.EnsureNetworkAsync(step.Name, DesiredStackBuilder.NetworkLabels(Need(desired).Topology), ct).ConfigureAwait(false);
                break;
            case (PlanAction.Create, PlanObject.Volume):
                await engine.EnsureVolumeAsync(step.Name, DesiredStackBuilder.VolumeLabels(Need(desired).Topology, step.Node!), ct).ConfigureAwait(false);
                break;
            case (PlanAction.Create or PlanAction.Recreate, PlanObject.Container):
                var stack = Need(desired);
                var container = stack.Containers.Single(c => c.Definition.Name == step.Name);
                if (step is { Action: PlanAction.Recreate, ObservedId: { } old })
                {
                    report("removing the old container");
                    await engine.RemoveContainerAsync(old, ct).ConfigureAwait(false);
                }
                await engine.CreateContainerAsync(container.Definition, ct).ConfigureAwait(false);
                // By name from here on (unique on the engine, and what an operator recognises in a message).
                var name = container.Definition.Name;
                if (container.SqlAliases is { } aliases)
                    await engine.ConnectNetworkAsync(stack.SqlNetwork, name, aliases, ct).ConfigureAwait(false);
                if (!container.Files.IsEmpty) await engine.PutFilesAsync(name, container.Files, ct).ConfigureAwait(false);
                await engine.StartContainerAsync(name, ct).ConfigureAwait(false);
                report("started; waiting until it serves");
                await new NodeReadiness(engine, settings, time, stack, container, name, report).WaitAsync(ct).ConfigureAwait(false);
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
