using HaPortal.Core.Deploy;
using HaPortal.Core.Replication;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using HaPortal.Tests.Deploy;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Replication;

/// <summary>
/// Drills on a stack deployed by the portal (real engine, real images): comments posted through the load balancer,
/// the primary switched over, then killed; the db-writer alias follows the primary. No timing is asserted: what must
/// hold is that no acknowledged write is lost or duplicated, the new primary takes writes, the others replicate from
/// it, and the deploy sees nothing to change afterwards.
/// </summary>
public class DockerDrillTests(ITestOutputHelper output)
{
    private static readonly Actor Operator = new("olga", new HashSet<string> { Roles.Operator });

    /// <summary>TestStacks.Small with a third database and semi-sync, as the figures ask (a primary and two replicas).</summary>
    internal static TopologySpec Stack(string name, int port, int statsPort)
    {
        var small = TestStacks.Small(name, port, statsPort);
        return small with { Database = small.Database with { Replicas = [.. small.Database.Replicas, new DbNodeSpec { Name = "db3" }], SemiSync = true } };
    }

    [Fact(Timeout = 900_000)]
    public async Task SwitchoverAndKillDrills_OnADeployedStack_LoseNothingAndLeaveAnEmptyPlan()
    {
        var ct = TestContext.Current.CancellationToken;
        // The web image must hold this tree's web node (pool cleared on a changed server, short retries): build-images.sh.
        var settings = new DeploySettings { PublishAddress = "127.0.0.1", ReadyTimeout = TimeSpan.FromSeconds(180) };
        var engine = await DockerTestEngine.RequireAsync(settings, ct);
        using var db = new TestDatabase();
        // Stored secrets, as the portal keeps them: the empty plans below also show the admin password is among them.
        var keys = Directory.CreateTempSubdirectory("haportal-keys-");
        var deployer = new StackDeployer(engine, settings, TimeProvider.System,
            secrets: new SecretsStore(db, Microsoft.AspNetCore.DataProtection.DataProtectionProvider.Create(keys), db.Time));
        var spec = Stack(DockerTestEngine.UniqueName("rdrill"), FreePort.Next(), FreePort.Next());
        Assert.True(TopologyValidator.Validate(spec).IsValid);
        Assert.True((await db.Topologies.SaveAsync(spec, Operator, "drill stack", ct)).Saved);
        try
        {
            var prepared = await deployer.PlanAsync(spec, ct);
            Assert.DoesNotContain(await DeployEvents.CollectAsync(deployer.ApplyAsync(prepared, ct), output), e => e.Kind == DeployEventKind.Failed);

            // The real clock: the drill measures real outages. The stored topology keeps the test database's clock.
            var docker = new DockerReplication(engine, settings, db.Topologies, db.Audit, TimeProvider.System);
            var session = new DrillSession(db.Topologies, new DrillStore(db, db.Audit, db.Time), TimeProvider.System);
            async Task<ReplicationCluster?> Current() => (await docker.ResolveAsync(spec.Name, ct))?.Target.Cluster;
            var options = FailoverDrills.OptionsFor(spec.Database.AutoFailover with { IntervalMs = 250 });

            var switchover = await RunAsync(docker, session, spec.Name, DrillKind.Switchover, options, Current, ct);
            Assert.Equal("db1", switchover.OldPrimary);
            await AssertHealthyAsync(docker, deployer, db, spec.Name, switchover.NewPrimary!, ct);

            var kill = await RunAsync(docker, session, spec.Name, DrillKind.Kill, options, Current, ct);
            Assert.Equal(switchover.NewPrimary, kill.OldPrimary);
            Assert.Contains(kill.Timeline, e => e.Step == "fenced");
            // The killed old primary was started again and rejoined: the whole cluster replicates from the new primary.
            await AssertHealthyAsync(docker, deployer, db, spec.Name, kill.NewPrimary!, ct);
        }
        finally
        {
            var destroy = await deployer.PlanDestroyAsync(spec.Name, includeVolumes: true, CancellationToken.None);
            await foreach (var e in deployer.DestroyAsync(destroy, CancellationToken.None)) output.WriteLine($"destroy: {e.Kind} {e.Step?.Name} {e.Message}");
            keys.Delete(recursive: true);
        }
    }

    private async Task<DrillReport> RunAsync(DockerReplication docker, DrillSession session, string topology, DrillKind kind, DrillOptions options,
        Func<Task<ReplicationCluster?>> current, CancellationToken ct)
    {
        var resolved = await docker.ResolveAsync(topology, ct);
        Assert.NotNull(resolved);
        Assert.Empty(resolved.Value.Target.Problems);
        var results = await session.RunAsync(topology, current, resolved.Value.Drill!, kind, 1, Operator, options, ct);
        foreach (var (_, r) in results)
        {
            foreach (var e in r.Timeline) output.WriteLine($"{e.AtMs,9:0.0} ms  {e.Step}: {e.Detail}");
            output.WriteLine(r.Summary);
        }
        var report = Assert.Single(results).Report; // a second result would say the old primary could not rejoin
        Assert.True(report.Succeeded, report.Summary);
        Assert.True(report.Acknowledged > 0, report.Summary);
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicated);
        return report;
    }

    private static async Task AssertHealthyAsync(DockerReplication docker, StackDeployer deployer, TestDatabase db, string topology, string primary, CancellationToken ct)
    {
        var resolved = (await docker.ResolveAsync(topology, ct))!.Value.Target;
        Assert.Equal(primary, resolved.Cluster!.ExpectedPrimary);
        var view = await resolved.Operations!.StatusAsync(resolved.Cluster, ct);
        Assert.Empty(view.Drift());
        Assert.Equal(ObservedRole.Primary, view[primary].Role);
        foreach (var other in view.Nodes.Where(n => n.Name != primary))
        {
            Assert.Equal(ObservedRole.Replica, other.Role);
            Assert.Equal(primary, view.SourceOf(other));
        }

        // The aliases and the stored topology agree: the deploy plans nothing.
        var stored = await db.Topologies.GetAsync(topology, ct: ct);
        Assert.Equal(primary, stored!.Spec.Database.Primary!.Name);
        var again = await deployer.PlanAsync(stored.Spec, ct);
        Assert.True(again.Plan.IsEmpty, string.Join("; ", again.Plan.Steps));
    }
}
