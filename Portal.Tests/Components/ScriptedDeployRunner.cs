using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using HaPortal.Core.Deploy;
using HaPortal.Core.Topology;

namespace HaPortal.Tests.Components;

/// <summary>
/// A deployer whose plan, status and progress the test writes: the page and DeployOperations are tested without an
/// engine. Progress events are pushed by the test through <see cref="Emit"/>, so a test sees each one render live.
/// </summary>
public sealed class ScriptedDeployRunner : IDeployRunner
{
    private readonly Channel<DeployProgress> _events = Channel.CreateUnbounded<DeployProgress>();

    public ImmutableArray<PlanStep> Steps { get; set; } = [];
    public ImmutableArray<string> Problems { get; set; } = [];
    public StackStatus? Status { get; set; }
    public int Applies { get; private set; }

    public Task<PreparedDeploy> PlanAsync(TopologySpec spec, CancellationToken ct) =>
        Task.FromResult(new PreparedDeploy(new DeployPlan(spec.Name, Steps, Problems), null));

    public IAsyncEnumerable<DeployProgress> ApplyAsync(PreparedDeploy prepared, CancellationToken ct)
    {
        Applies++;
        return ReadAsync(ct);
    }

    public Task<DeployPlan> PlanDestroyAsync(string topology, bool includeVolumes, CancellationToken ct) =>
        Task.FromResult(new DeployPlan(topology, Steps, []));

    public IAsyncEnumerable<DeployProgress> DestroyAsync(DeployPlan destroyPlan, CancellationToken ct) => ReadAsync(ct);

    public Task<StackStatus> StatusAsync(string topology, CancellationToken ct) =>
        Task.FromResult(Status ?? new StackStatus(topology, [], [], []));

    public void Emit(DeployProgress e)
    {
        _events.Writer.TryWrite(e);
        if (e.IsFinal) _events.Writer.TryComplete();
    }

    private async IAsyncEnumerable<DeployProgress> ReadAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in _events.Reader.ReadAllAsync(ct)) yield return e;
    }
}
