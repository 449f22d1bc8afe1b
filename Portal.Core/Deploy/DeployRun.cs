using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using HaPortal.Core.Docker;
using Microsoft.Extensions.Logging;

namespace HaPortal.Core.Deploy;

/// <summary>Carries out one step; <c>report</c> streams its progress. Throw <see cref="DeployStepException"/> or <see cref="ContainerEngineException"/> to fail it.</summary>
public delegate Task DeployStepAction(PlanStep step, Action<string> report, CancellationToken ct);

/// <summary>
/// One run of a plan, shared by every deploy target (containers on one engine, services on a Swarm): the event stream,
/// what is done, what failed and what could not finish, the log lines, and the final Completed or Failed event naming
/// the step, its node, the engine's or server's message and what was already done. A target decides the order its
/// steps run in and how each is carried out; <see cref="GroupsAsync"/> is the plain order (groups ascending, the
/// steps of a group in parallel, stop after the first group with a failed step). Thread-safe.
/// </summary>
public sealed class DeployRun
{
    private readonly DeployPlan _plan;
    private readonly ChannelWriter<DeployProgress> _events;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly long _started;
    private readonly ConcurrentQueue<PlanStep> _done = new();
    private readonly ConcurrentQueue<(PlanStep Step, string Error)> _failed = new();
    private readonly ConcurrentQueue<(PlanStep Step, string State)> _unfinished = new();

    private DeployRun(DeployPlan plan, ChannelWriter<DeployProgress> events, TimeProvider time, ILogger log, long started) =>
        (_plan, _events, _time, _log, _started) = (plan, events, time, log, started);

    /// <summary>
    /// Streams the events of <paramref name="body"/> run on a plan. A plan that cannot apply ends in one Failed event;
    /// the stream ends when the body returns (it calls <see cref="Complete"/> or leaves a Failed event through
    /// <see cref="Outcome"/>).
    /// </summary>
    public static async IAsyncEnumerable<DeployProgress> RunAsync(DeployPlan plan, TimeProvider time, ILogger log,
        Func<DeployRun, CancellationToken, Task> body, [EnumeratorCancellation] CancellationToken ct)
    {
        if (!plan.CanApply)
        {
            yield return new DeployProgress(DeployEventKind.Failed, null, string.Join(Environment.NewLine, plan.Problems), TimeSpan.Zero, []);
            yield break;
        }
        var events = Channel.CreateUnbounded<DeployProgress>(new UnboundedChannelOptions { SingleReader = true });
        var run = new DeployRun(plan, events.Writer, time, log, time.GetTimestamp());
        var task = Task.Run(async () =>
        {
            try
            {
                await body(run, ct).ConfigureAwait(false);
            }
            finally
            {
                events.Writer.TryComplete();
            }
        }, ct);
        await foreach (var e in events.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            yield return e;
        await task.ConfigureAwait(false);
    }

    /// <summary>The plain order: groups ascending, the steps of a group in parallel; false after the first group with a failed step.</summary>
    public async Task<bool> GroupsAsync(IEnumerable<PlanStep> steps, DeployStepAction execute, CancellationToken ct)
    {
        foreach (var group in steps.GroupBy(s => s.Group).OrderBy(g => g.Key))
            if (!await GroupAsync([.. group], execute, ct).ConfigureAwait(false)) return false;
        return true;
    }

    /// <summary>Steps that run together and end together; false (after the Failed event) when any failed.</summary>
    public async Task<bool> GroupAsync(IReadOnlyList<PlanStep> group, DeployStepAction execute, CancellationToken ct)
    {
        await Task.WhenAll(group.Select(step => StepAsync(step, execute, ct))).ConfigureAwait(false);
        return Outcome();
    }

    /// <summary>Runs one step with its events and log lines; false when it failed.</summary>
    public async Task<bool> StepAsync(PlanStep step, DeployStepAction execute, CancellationToken ct)
    {
        Started(step);
        try
        {
            await execute(step, Reporter(step), ct).ConfigureAwait(false);
            Succeeded(step);
            return true;
        }
        catch (Exception e) when (e is ContainerEngineException or DeployStepException)
        {
            Failed(step, e.Message);
            return false;
        }
    }

    public TimeSpan Elapsed => _time.GetElapsedTime(_started);

    public bool HasFailed => !_failed.IsEmpty;

    /// <summary>The step that failed first, for a step that stops because of it.</summary>
    public string FirstFailure => _failed.TryPeek(out var f) ? $"'{f.Step}'" : "an earlier step";

    public void Emit(DeployEventKind kind, PlanStep step, string message) =>
        _events.TryWrite(new DeployProgress(kind, step, message, Elapsed, []));

    public Action<string> Reporter(PlanStep step) => message => Emit(DeployEventKind.StepProgress, step, message);

    public void Started(PlanStep step)
    {
        Emit(DeployEventKind.StepStarted, step, step.ToString());
        DeployLog.StepStarted(_log, _plan.Topology, step.ToString());
    }

    public void Succeeded(PlanStep step)
    {
        Emit(DeployEventKind.StepSucceeded, step, step.ToString());
        DeployLog.StepSucceeded(_log, _plan.Topology, step.ToString(), Elapsed.TotalSeconds);
        _done.Enqueue(step);
    }

    public void Failed(PlanStep step, string message)
    {
        Emit(DeployEventKind.StepFailed, step, message);
        DeployLog.StepFailed(_log, _plan.Topology, step.ToString(), step.Node, message);
        _failed.Enqueue((step, message));
    }

    /// <summary>A step that had begun but could not go on, because another failed first.</summary>
    public void Interrupted(PlanStep step, string state)
    {
        _unfinished.Enqueue((step, state));
        Emit(DeployEventKind.StepFailed, step, $"Not finished ({state}): {FirstFailure} failed first. The next apply continues from here.");
    }

    /// <summary>The final Completed event.</summary>
    public void Complete()
    {
        DeployLog.Completed(_log, _plan.Topology, _done.Count, Elapsed.TotalSeconds);
        _events.TryWrite(new DeployProgress(DeployEventKind.Completed, null,
            _plan.IsEmpty ? "Nothing to do." : $"{_done.Count} step(s) done.", Elapsed, [.. _done]));
    }

    /// <summary>True when nothing failed; otherwise writes the final Failed event: which step, on which node, why, and what was done.</summary>
    public bool Outcome()
    {
        if (_failed.IsEmpty) return true;
        var failed = _failed.ToList();
        var what = string.Join(Environment.NewLine, failed.Select(f =>
            $"Step '{f.Step}'{(f.Step.Node is null ? "" : $" on node '{f.Step.Node}'")} failed: {f.Error}"));
        var done = _done.ToList();
        var summary = $"{what}{Environment.NewLine}Done before stopping: {(done.Count == 0 ? "nothing" : string.Join(", ", done.Select(d => d.ToString())))}.";
        if (!_unfinished.IsEmpty)
            summary += $"{Environment.NewLine}Not finished: {string.Join(", ", _unfinished.Select(u => $"{u.Step} ({u.State})"))}.";
        _events.TryWrite(new DeployProgress(DeployEventKind.Failed, failed[0].Step, summary, Elapsed, [.. done]));
        return false;
    }
}
