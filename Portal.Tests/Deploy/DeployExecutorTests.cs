using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;

namespace HaPortal.Tests.Deploy;

/// <summary>
/// The executor's dependency order on a scripted engine (<see cref="ScriptedEngine"/>): what overlaps, what waits,
/// and what a failure leaves. What the containers really do is the end-to-end test's business.
/// </summary>
public class DeployExecutorTests
{
    private static readonly DeploySettings Settings = new();

    private static (DeployPlan Plan, DesiredStack Desired) NewSmallStack()
    {
        var desired = DesiredStackBuilder.Build(TestStacks.Small("t1", 18080, 18404), Settings, new StackSecrets("r", "a", "m"));
        var images = desired.Images.ToDictionary(i => i, string? (_) => "sha256:1");
        return (DeployPlanner.Plan(desired, ObservedStack.Empty("t1"), images), desired);
    }

    private static async Task<List<DeployProgress>> RunAsync(ScriptedEngine engine, DeployPlan plan, DesiredStack desired, CancellationToken ct)
    {
        var events = new List<DeployProgress>();
        await foreach (var e in new DeployExecutor(engine.Engine, Settings, TimeProvider.System).RunAsync(plan, desired, ct)) events.Add(e);
        return events;
    }

    [Fact]
    public async Task Apply_NewStack_CreatesEveryContainerAndStartsReplicaAndWebNodesWhileThePrimaryBoots_PutsThemToWorkInDependencyOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = ScriptedEngine.Create();
        var primaryMayAnswer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.BeforeExec = (container, command) => container == "t1-db1" && command[^1] == "SELECT 1" ? primaryMayAnswer.Task : Task.CompletedTask;
        var (plan, desired) = NewSmallStack();

        var run = RunAsync(engine, plan, desired, ct);
        // While the primary has not answered yet: every container exists, the replica runs and answers, the web nodes
        // boot, but none of them is checked or put to work.
        await engine.WaitUntilAsync(calls => new[] { "create t1-web1", "create t1-web2", "create t1-lb", "answers t1-db2", "files t1-lb", "start t1-web1", "start t1-web2" }.All(calls.Contains), ct);
        Assert.DoesNotContain(engine.Calls, c => c.StartsWith("http ok t1-web", StringComparison.Ordinal));
        Assert.DoesNotContain("start t1-lb", engine.Calls);
        Assert.DoesNotContain("sql t1-db2", engine.Calls);
        primaryMayAnswer.SetResult();
        var events = await run;

        Assert.True(events[^1].Kind == DeployEventKind.Completed, events[^1].Message);
        Assert.Equal(plan.Steps.Length, events[^1].Done.Length);
        // Networks and volumes before any container; containers created tier after tier (databases first, they boot
        // slowest); the replica replicates only after the primary's bootstrap.
        Assert.True(engine.IndexOf("create t1-db1") > engine.LastIndexOf("volume t1-db2-data"));
        Assert.True(engine.IndexOf("create t1-db2") > engine.IndexOf("files t1-db1"));
        Assert.True(engine.IndexOf("create t1-web1") > engine.IndexOf("files t1-db2"));
        Assert.True(engine.IndexOf("create t1-lb") > engine.IndexOf("connect t1-web2"));
        Assert.True(engine.IndexOf("sql t1-db2") > engine.LastIndexOf("sql t1-db1"));
        // Web nodes are checked once the primary is bootstrapped; the load balancer starts once every web node and
        // replica is ready.
        Assert.True(engine.IndexOf("http ok t1-web1") > engine.LastIndexOf("sql t1-db1"));
        Assert.True(engine.IndexOf("http ok t1-web2") > engine.LastIndexOf("sql t1-db1"));
        Assert.True(engine.IndexOf("start t1-lb") > engine.IndexOf("http ok t1-web1"));
        Assert.True(engine.IndexOf("start t1-lb") > engine.IndexOf("http ok t1-web2"));
        Assert.True(engine.IndexOf("start t1-lb") > engine.IndexOf("replicating t1-db2"));
    }

    [Fact]
    public async Task Apply_PrimaryBootstrapFails_StopsNamingTheStep_StartsNothingThatDependsOnIt_StopsTheWaitingReplicaAndWebNodes()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = ScriptedEngine.Create();
        engine.FailSqlOn = "t1-db1";
        // The primary fails only once everything that can overlap with it has begun, so the outcome is the same every run.
        var overlapped = new[] { "create t1-web1", "create t1-web2", "create t1-lb", "answers t1-db2", "start t1-web1", "start t1-web2" };
        engine.BeforeExec = (container, command) => container == "t1-db1" && command[^1].Contains("<<HAPORTAL_SQL", StringComparison.Ordinal)
            ? engine.WaitUntilAsync(calls => overlapped.All(calls.Contains), ct)
            : Task.CompletedTask;
        var (plan, desired) = NewSmallStack();

        var events = await RunAsync(engine, plan, desired, ct);

        var failed = events[^1];
        Assert.Equal(DeployEventKind.Failed, failed.Kind);
        Assert.Equal("db1", failed.Step!.Node);
        Assert.Contains("Step 'create container t1-db1' on node 'db1' failed: Could not create users and schema and open the primary for writes: ERROR 1064 (42000): scripted failure", failed.Message);
        Assert.Equal(["network", "network", "volume", "volume"], failed.Done.Select(s => s.Object.ToString().ToLowerInvariant()).Order());
        Assert.Contains("create container t1-web1 (stopped before it was put to work)", failed.Message);
        Assert.Contains("create container t1-web2 (stopped before it was put to work)", failed.Message);
        Assert.Contains("create container t1-lb (created, not started)", failed.Message);
        Assert.Contains("create container t1-db2 (stopped before it was put to work)", failed.Message);
        Assert.DoesNotContain("start t1-lb", engine.Calls);
        Assert.DoesNotContain(engine.Calls, c => c.StartsWith("http ok t1-web", StringComparison.Ordinal));
        Assert.Contains("stop t1-db2", engine.Calls);
        Assert.Contains("stop t1-web1", engine.Calls);
        Assert.Contains("stop t1-web2", engine.Calls);
        Assert.DoesNotContain("sql t1-db2", engine.Calls);
        // Every step that began ended with an outcome of its own.
        var begun = events.Where(e => e.Kind == DeployEventKind.StepStarted).Select(e => e.Step).ToHashSet();
        var ended = events.Where(e => e.Kind is DeployEventKind.StepSucceeded or DeployEventKind.StepFailed).Select(e => e.Step).ToHashSet();
        Assert.Equal(begun, ended);
    }

    [Fact]
    public async Task Apply_PullFails_CreatesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var (plan, desired) = NewSmallStack();
        var pull = new PlanStep(PlanAction.Pull, PlanObject.Image, "haportal/web:dev", null, DeployTier.Images, (int)DeployTier.Images, "not on the engine");
        var engine = ScriptedEngine.Create();
        engine.FailPulls = true;

        var events = await RunAsync(engine, plan with { Steps = plan.Steps.Insert(0, pull) }, desired, ct);

        Assert.Equal(DeployEventKind.Failed, events[^1].Kind);
        Assert.Equal(pull, events[^1].Step);
        Assert.Contains("Could not pull image 'haportal/web:dev': not found", events[^1].Message);
        Assert.Equal(["pull haportal/web:dev"], engine.Calls);
    }
}
