using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
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
/// Runs a <see cref="DeployPlan"/>: groups in order, the steps of a group in parallel, each container
/// waited on until it really serves. Stops after the first group with a failed step; applying again
/// plans from whatever is then running, so it continues where this one stopped.
/// </summary>
public sealed class DeployExecutor(IContainerEngine engine, DeploySettings settings, TimeProvider time, ILogger? logger = null)
{
    private readonly ILogger _log = logger ?? NullLogger.Instance;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <param name="desired">The stack the plan was made for; null for a destroy plan (removals only).</param>
    public async IAsyncEnumerable<DeployProgress> RunAsync(DeployPlan plan, DesiredStack? desired, [EnumeratorCancellation] CancellationToken ct)
    {
        var started = time.GetTimestamp();
        if (!plan.CanApply)
        {
            yield return new DeployProgress(DeployEventKind.Failed, null, string.Join(Environment.NewLine, plan.Problems), TimeSpan.Zero, []);
            yield break;
        }
        var events = Channel.CreateUnbounded<DeployProgress>(new UnboundedChannelOptions { SingleReader = true });
        var run = Task.Run(() => RunGroupsAsync(plan, desired, events.Writer, started, ct), ct);
        await foreach (var e in events.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            yield return e;
        await run.ConfigureAwait(false);
    }

    private async Task RunGroupsAsync(DeployPlan plan, DesiredStack? desired, ChannelWriter<DeployProgress> events, long started, CancellationToken ct)
    {
        var done = ImmutableArray.CreateBuilder<PlanStep>();
        TimeSpan Elapsed() => time.GetElapsedTime(started);
        try
        {
            foreach (var group in plan.Steps.GroupBy(s => s.Group).OrderBy(g => g.Key))
            {
                var results = await Task.WhenAll(group.Select(async step =>
                {
                    events.TryWrite(new DeployProgress(DeployEventKind.StepStarted, step, step.ToString(), Elapsed(), []));
                    DeployLog.StepStarted(_log, plan.Topology, step.ToString());
                    try
                    {
                        await ExecuteAsync(step, desired, message =>
                            events.TryWrite(new DeployProgress(DeployEventKind.StepProgress, step, message, Elapsed(), [])), ct).ConfigureAwait(false);
                        events.TryWrite(new DeployProgress(DeployEventKind.StepSucceeded, step, step.ToString(), Elapsed(), []));
                        DeployLog.StepSucceeded(_log, plan.Topology, step.ToString(), Elapsed().TotalSeconds);
                        return (step, error: (string?)null);
                    }
                    catch (Exception e) when (e is ContainerEngineException or DeployStepException)
                    {
                        events.TryWrite(new DeployProgress(DeployEventKind.StepFailed, step, e.Message, Elapsed(), []));
                        DeployLog.StepFailed(_log, plan.Topology, step.ToString(), step.Node, e.Message);
                        return (step, error: e.Message);
                    }
                })).ConfigureAwait(false);

                done.AddRange(results.Where(r => r.error is null).Select(r => r.step));
                var failed = results.Where(r => r.error is not null).ToList();
                if (failed.Count > 0)
                {
                    var what = string.Join(Environment.NewLine, failed.Select(f =>
                        $"Step '{f.step}'{(f.step.Node is null ? "" : $" on node '{f.step.Node}'")} failed: {f.error}"));
                    var summary = $"{what}{Environment.NewLine}Done before stopping: {(done.Count == 0 ? "nothing" : string.Join(", ", done.Select(d => d.ToString())))}.";
                    events.TryWrite(new DeployProgress(DeployEventKind.Failed, failed[0].step, summary, Elapsed(), done.ToImmutable()));
                    return;
                }
            }
            DeployLog.Completed(_log, plan.Topology, done.Count, Elapsed().TotalSeconds);
            events.TryWrite(new DeployProgress(DeployEventKind.Completed, null,
                plan.IsEmpty ? "Nothing to do." : $"{done.Count} step(s) done.", Elapsed(), done.ToImmutable()));
        }
        finally
        {
            events.TryComplete();
        }
    }

    private async Task ExecuteAsync(PlanStep step, DesiredStack? desired, Action<string> report, CancellationToken ct)
    {
        switch (step.Action, step.Object)
        {
            case (PlanAction.Create, PlanObject.Network):
                var owner = Need(desired);
                await engine.EnsureNetworkAsync(step.Name, DesiredStackBuilder.NetworkLabels(owner.Topology),
                    step.Name == owner.SqlNetwork ? owner.SqlSubnet : null, ct).ConfigureAwait(false);
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
