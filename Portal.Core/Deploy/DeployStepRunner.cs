using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using HaPortal.Core.Docker;
using Microsoft.Extensions.Logging;

namespace HaPortal.Core.Deploy;

/// <summary>
/// The step loop every deploy target shares (containers on one engine, services on a Swarm): groups in order, the
/// steps of a group in parallel, progress streamed as it happens, and after the first group with a failed step one
/// Failed event naming the step, its node, the engine's or server's message and what was already done. A target
/// supplies only how to execute one step.
/// </summary>
public static class DeployStepRunner
{
    /// <summary>Carries out one step; <c>report</c> streams its progress. Throw <see cref="DeployStepException"/> or <see cref="ContainerEngineException"/> to fail it.</summary>
    public delegate Task StepAction(PlanStep step, Action<string> report, CancellationToken ct);

    public static async IAsyncEnumerable<DeployProgress> RunAsync(
        DeployPlan plan, StepAction execute, TimeProvider time, ILogger log, [EnumeratorCancellation] CancellationToken ct)
    {
        var started = time.GetTimestamp();
        if (!plan.CanApply)
        {
            yield return new DeployProgress(DeployEventKind.Failed, null, string.Join(Environment.NewLine, plan.Problems), TimeSpan.Zero, []);
            yield break;
        }
        var events = Channel.CreateUnbounded<DeployProgress>(new UnboundedChannelOptions { SingleReader = true });
        var run = Task.Run(() => RunGroupsAsync(plan, execute, time, log, events.Writer, started, ct), ct);
        await foreach (var e in events.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            yield return e;
        await run.ConfigureAwait(false);
    }

    private static async Task RunGroupsAsync(DeployPlan plan, StepAction execute, TimeProvider time, ILogger log,
        ChannelWriter<DeployProgress> events, long started, CancellationToken ct)
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
                    DeployLog.StepStarted(log, plan.Topology, step.ToString());
                    try
                    {
                        await execute(step, message =>
                            events.TryWrite(new DeployProgress(DeployEventKind.StepProgress, step, message, Elapsed(), [])), ct).ConfigureAwait(false);
                        events.TryWrite(new DeployProgress(DeployEventKind.StepSucceeded, step, step.ToString(), Elapsed(), []));
                        DeployLog.StepSucceeded(log, plan.Topology, step.ToString(), Elapsed().TotalSeconds);
                        return (step, error: (string?)null);
                    }
                    catch (Exception e) when (e is ContainerEngineException or DeployStepException)
                    {
                        events.TryWrite(new DeployProgress(DeployEventKind.StepFailed, step, e.Message, Elapsed(), []));
                        DeployLog.StepFailed(log, plan.Topology, step.ToString(), step.Node, e.Message);
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
            DeployLog.Completed(log, plan.Topology, done.Count, Elapsed().TotalSeconds);
            events.TryWrite(new DeployProgress(DeployEventKind.Completed, null,
                plan.IsEmpty ? "Nothing to do." : $"{done.Count} step(s) done.", Elapsed(), done.ToImmutable()));
        }
        finally
        {
            events.TryComplete();
        }
    }
}
