using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Deploy;

/// <summary>
/// The Docker end-to-end test's stack (one HAProxy, two web nodes, a MariaDB primary and a replica, no router) with
/// <c>deploy.target: swarm</c>, on the local engine's one-node Swarm, through the portal's deployer dispatch. Web
/// traffic goes only through the load balancer's published port; its stats are not published.
/// </summary>
public partial class SwarmEndToEndTests(ITestOutputHelper output)
{
    [Fact(Timeout = 600_000)]
    public async Task Apply_SmallStackOnTheSwarm_ServesBothNodesStickilyReplicatesPlansNothingAgainUpdatesAndDestroysCleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new DeploySettings { ReadyTimeout = TimeSpan.FromSeconds(180) };
        var (engine, swarm) = await DockerTestEngine.RequireSwarmAsync(settings, ct);
        var deployer = new TargetDeployRunner(new StackDeployer(engine, settings, TimeProvider.System),
            new SwarmDeployer(engine, swarm, settings, TimeProvider.System));
        var (port, statsPort) = (FreePort.Next(), FreePort.Next());
        var spec = TestStacks.Small(DockerTestEngine.UniqueName("swarm"), port, statsPort) with { Deploy = new() { Target = DeployTarget.Swarm } };
        Assert.True(TopologyValidator.Validate(spec).IsValid);

        try
        {
            var prepared = await deployer.PlanAsync(spec, ct);
            Assert.Equal(DeployTarget.Swarm, prepared.Plan.Target);
            Assert.True(prepared.Plan.CanApply, string.Join("; ", prepared.Plan.Problems));
            Assert.Equal(
                [
                    $"create network haportal-{spec.Name}", $"create network haportal-{spec.Name}-sql",
                    $"create service {spec.Name}-db1", $"create service {spec.Name}-db2",
                    $"create service {spec.Name}-web1", $"create service {spec.Name}-web2", $"create service {spec.Name}-lb",
                ],
                prepared.Plan.Steps.Select(s => s.ToString()));
            // Web and database nodes are pinned to Swarm nodes (here the only one); the load balancer goes anywhere.
            var local = await swarm.LocalNodeIdAsync(ct);
            Assert.All(prepared.Swarm!.Services.Where(s => s.Role != NodeRole.LoadBalancer),
                s => Assert.Equal([$"node.id=={local}"], s.Definition.Constraints));

            var clock = Stopwatch.StartNew();
            var events = await DeployEvents.CollectAsync(deployer.ApplyAsync(prepared, ct), output);
            output.WriteLine($"apply on the Swarm took {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.True(events[^1].Kind == DeployEventKind.Completed, events[^1].Message);

            // Secrets never reach the progress stream.
            var db1 = (await swarm.ObserveAsync(spec.Name, ct)).Services.Single(s => s.Node == "db1");
            var secrets = StackSecrets.FromEnvironment(db1.Environment)!;
            Assert.DoesNotContain(events, e => e.Message.Contains(secrets.AppPassword) || e.Message.Contains(secrets.ReplicationPassword));

            await DeployEndToEndTests.EveryWebNodeAnswersThroughThePublishedPort(port, ["web1", "web2"], ct);
            await StickyCookiePinsTheClientToOneNode(port, ct);
            var replica = (await swarm.ListTasksAsync($"{spec.Name}-db2", ct)).First(t => t.IsRunning).ContainerId!;
            await DeployEndToEndTests.ACommentPostedThroughTheLoadBalancerIsOnTheReplica(engine, spec.Name, port, ct, replica);

            var again = await deployer.PlanAsync(spec, ct);
            Assert.True(again.Plan.IsEmpty, string.Join("; ", again.Plan.Steps));

            // A changed haproxy.cfg is a new config: the load balancer's service is updated (Swarm replaces its task),
            // the old config goes, and the stack serves again with nothing left to plan.
            var tuned = spec with { LoadBalancer = spec.LoadBalancer with { HealthCheck = spec.LoadBalancer.HealthCheck with { IntervalMs = 1500 } } };
            var update = await deployer.PlanAsync(tuned, ct);
            Assert.Equal([$"update service {spec.Name}-lb (config changed)", "remove config"],
                update.Plan.Steps.Select(s => s.Action == PlanAction.Remove ? "remove config" : s.ToString()));
            var updated = await DeployEvents.CollectAsync(deployer.ApplyAsync(update, ct), output);
            Assert.True(updated[^1].Kind == DeployEventKind.Completed, updated[^1].Message);
            await DeployEndToEndTests.EveryWebNodeAnswersThroughThePublishedPort(port, ["web1", "web2"], ct);
            var settled = await deployer.PlanAsync(tuned, ct);
            Assert.True(settled.Plan.IsEmpty, string.Join("; ", settled.Plan.Steps));

            var status = await deployer.StatusAsync(spec.Name, ct);
            Assert.Equal(["db1", "db2", "web1", "web2", "lb"], status.Nodes.Select(n => n.Node));
            Assert.All(status.Nodes, n => Assert.Equal("running", n.State));
            Assert.Equal(1, status.Nodes.Single(n => n.Node == "lb").RestartCount);
        }
        finally
        {
            var destroy = await deployer.PlanDestroyAsync(spec.Name, includeVolumes: true, CancellationToken.None);
            await foreach (var e in deployer.DestroyAsync(destroy, CancellationToken.None))
                output.WriteLine($"destroy: {e.Kind} {e.Step?.Name} {e.Message}");
        }
        Assert.True((await swarm.ObserveAsync(spec.Name, ct)).IsEmpty);
        Assert.DoesNotContain(spec.Name, await swarm.ListTopologiesAsync(ct));
        Assert.DoesNotContain(spec.Name, await engine.ListTopologiesAsync(ct));
    }

    /// <summary>
    /// The stats port is not published on a Swarm, so the pin is read from the page itself: every demo page names the
    /// node that served it, and HAProxy sets no new cookie while it honours the one the client holds.
    /// </summary>
    private static async Task StickyCookiePinsTheClientToOneNode(int port, CancellationToken ct)
    {
        using var browser = new HttpClient(new SocketsHttpHandler { UseCookies = true, CookieContainer = new CookieContainer() })
        { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var first = await browser.GetAsync("/", ct);
        var pinned = DeployEndToEndTests.ServerCookie(first);
        Assert.NotNull(pinned);
        Assert.Equal(pinned, ServedBy(await first.Content.ReadAsStringAsync(ct)));
        for (var i = 0; i < 10; i++)
        {
            using var response = await browser.GetAsync("/", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Null(DeployEndToEndTests.ServerCookie(response));
            Assert.Equal(pinned, ServedBy(await response.Content.ReadAsStringAsync(ct)));
        }
    }

    private static string ServedBy(string page) => ServedByPattern().Match(page).Groups[1].Value;

    [GeneratedRegex("Served by <strong>([^<]+)</strong>")]
    private static partial Regex ServedByPattern();
}
