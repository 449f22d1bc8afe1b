using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using HaPortal.Core.Audit;
using HaPortal.Core.Deploy;
using HaPortal.Core.Haproxy;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Deploy;

/// <summary>
/// A web node added to and removed from a stack the portal deployed, on the real engine with the real images: the
/// load balancer is operated through its runtime API inside the container, and the deploy's plan stays empty.
/// </summary>
public class DeployedWebNodeTests(ITestOutputHelper output)
{
    private static readonly Actor Operator = new("olga", new HashSet<string> { Roles.Operator });
    private static readonly Actor Viewer = new("victor", new HashSet<string> { Roles.Viewer });

    [Fact(Timeout = 600_000)]
    public async Task AddThenRemoveWebNode_OnADeployedStack_ServesThroughTheLb_LetsAStickyClientFinish_AndLeavesAnEmptyPlan()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new DeploySettings { PublishAddress = "127.0.0.1", ReadyTimeout = TimeSpan.FromSeconds(180) };
        var engine = await DockerTestEngine.RequireAsync(settings, ct);
        var deployer = new StackDeployer(engine, settings, TimeProvider.System);
        var (port, statsPort) = (FreePort.Next(), FreePort.Next());
        // One database is enough here: the web tier is what changes.
        var spec = TestStacks.Small(DockerTestEngine.UniqueName("hlive"), port, statsPort) is var s
            ? s with { Database = s.Database with { Replicas = [] } }
            : null!;
        using var db = new TestDatabase();
        await db.Topologies.SaveAsync(spec, Operator, "seed", ct);
        var lbs = new DeployedLoadBalancers(engine, deployer, settings, db.Topologies, db.Audit, TimeProvider.System);
        try
        {
            var applied = await RunAsync(deployer.ApplyAsync(await deployer.PlanAsync(spec, ct), ct));
            Assert.True(applied.Kind == DeployEventKind.Completed, applied.Message);
            Assert.Contains(spec.Name, await lbs.ListAsync(ct));
            var runtime = lbs.Runtime(spec.Name);
            Assert.Equal(["web1", "web2"], Servers(await runtime.ListBackendsAsync(ct)));

            // Bad input: every problem with its field, nothing changed; a Viewer is refused.
            var bad = await lbs.AddNodeAsync(Operator, spec.Name, "web1", 300, null, ct);
            Assert.Equal(["node", "weight"], bad.Problems.Select(p => p.Path).Order());
            Assert.Equal(["topology"], (await lbs.AddNodeAsync(Operator, "no-such-topology", "web3", 100, null, ct)).Problems.Select(p => p.Path));
            Assert.Equal(["node"], (await lbs.RemoveNodeAsync(Operator, spec.Name, "web9", TimeSpan.FromSeconds(5), false, null, ct)).Problems.Select(p => p.Path));
            await Assert.ThrowsAsync<ForbiddenException>(() => lbs.AddNodeAsync(Viewer, spec.Name, "web3", 100, null, ct));
            Assert.Equal(1, (await db.Topologies.GetAsync(spec.Name, ct: ct))!.Revision.Number);
            Assert.DoesNotContain((await engine.ObserveAsync(spec.Name, ct)).Containers, c => c.Node == "web3");

            // Add web3: the container starts, HAProxy takes it, and it answers through the published port.
            var steps = new List<string>();
            var added = await lbs.AddNodeAsync(Operator, spec.Name, "web3", 100, steps.Add, ct);
            foreach (var step in steps) output.WriteLine($"add: {step}");
            Assert.True(added.Succeeded, string.Join("; ", added.Problems.Select(p => $"{p.Path}: {p.Message}")));
            Assert.Equal(2, added.Revision!.Number);
            Assert.Contains(steps, m => m.StartsWith("added to HAProxy at runtime as web/web3", StringComparison.Ordinal));
            Assert.Equal(["web1", "web2", "web3"], Servers(await runtime.ListBackendsAsync(ct)));
            await UntilAsync(async () => (await runtime.GetServerAsync("web", "web3", ct))?.Status == "UP", "web3 UP in HAProxy", ct);
            using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
                request.Headers.Add("Cookie", "SERVERID=web3");
                using var response = await http.SendAsync(request, ct);
                Assert.Equal("web3", (await response.Content.ReadFromJsonAsync<WhoAmI>(ct))!.Node);
            }
            // A figure for the report, not an assertion: a runtime change through the engine and HAProxy reporting it.
            var took = new List<double>();
            foreach (var w in new[] { 90, 100, 90, 100, 90, 100, 90, 100, 90, 100 })
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                await runtime.SetWeightAsync("web", "web3", w, ct);
                Assert.Equal(w, (await runtime.GetServerAsync("web", "web3", ct))!.Weight);
                took.Add(clock.Elapsed.TotalMilliseconds);
            }
            output.WriteLine($"change-to-report through the engine: median {took.Order().ElementAt(took.Count / 2):0} ms, max {took.Max():0} ms");
            var settled = await deployer.PlanAsync((await db.Topologies.GetAsync(spec.Name, ct: ct))!.Spec, ct);
            Assert.True(settled.Plan.IsEmpty, string.Join("; ", settled.Plan.Steps));

            // Remove web3 while a sticky client is in the middle of a request on it.
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, ct);
            var stream = client.GetStream();
            const string body = "title=held&body=open";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /posts HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: SERVERID=web3\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + $"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n{body[..5]}"), ct);
            await UntilAsync(async () => (await runtime.GetServerAsync("web", "web3", ct))?.CurrentSessions == 1, "the sticky client's session on web3", ct);

            steps.Clear();
            var removing = lbs.RemoveNodeAsync(Operator, spec.Name, "web3", TimeSpan.FromSeconds(120), false, steps.Add, ct);
            await UntilAsync(async () => (await runtime.GetServerAsync("web", "web3", ct))?.Admin == ServerAdminState.Drain, "web3 draining", ct);
            // Draining with a session open: nothing is deleted yet.
            Assert.False(removing.IsCompleted);
            Assert.Contains(spec.Name + "-web3", (await engine.ObserveAsync(spec.Name, ct)).Containers.Select(c => c.Name));

            await stream.WriteAsync(Encoding.ASCII.GetBytes(body[5..]), ct);
            var reply = await new StreamReader(stream).ReadToEndAsync(ct);
            var status = reply.Split(' ', 3)[1];
            output.WriteLine($"sticky client's answer: {reply.Split('\r')[0]}");
            // The web node answered it (whatever it thought of the form); HAProxy did not cut it (502/503/504).
            Assert.DoesNotContain(status, new[] { "502", "503", "504" });
            Assert.DoesNotContain("haproxy", reply, StringComparison.OrdinalIgnoreCase);

            var removed = await removing;
            foreach (var step in steps) output.WriteLine($"remove: {step}");
            Assert.True(removed.Succeeded, string.Join("; ", removed.Problems.Select(p => $"{p.Path}: {p.Message}")));
            Assert.Equal(new ServerRemoval(RemovalOutcome.Deleted, 0), removed.Removal);
            Assert.Equal(3, removed.Revision!.Number);
            Assert.Equal(["web1", "web2"], Servers(await runtime.ListBackendsAsync(ct)));
            Assert.DoesNotContain((await engine.ObserveAsync(spec.Name, ct)).Containers, c => c.Node == "web3");
            var empty = await deployer.PlanAsync((await db.Topologies.GetAsync(spec.Name, ct: ct))!.Spec, ct);
            Assert.True(empty.Plan.IsEmpty, string.Join("; ", empty.Plan.Steps));

            var audit = await db.Audit.QueryAsync(new AuditQuery(), ct);
            Assert.Contains(audit, a => a.Action == "haproxy.add-node" && a.Target == $"{spec.Name}/web3" && a.User == "olga");
            Assert.Contains(audit, a => a.Action == "haproxy.remove-node" && a.Summary.StartsWith("removed web node web3", StringComparison.Ordinal));
        }
        finally
        {
            await foreach (var _ in deployer.DestroyAsync(await deployer.PlanDestroyAsync(spec.Name, includeVolumes: true, CancellationToken.None), CancellationToken.None)) { }
        }
    }

    private sealed record WhoAmI(string Node);

    private static string[] Servers(IReadOnlyList<HaproxyBackend> backends) =>
        [.. backends.Single(b => b.Name == "web").Servers.Select(s => s.Name).Order(StringComparer.Ordinal)];

    private static async Task<DeployProgress> RunAsync(IAsyncEnumerable<DeployProgress> events)
    {
        DeployProgress? last = null;
        await foreach (var e in events) last = e;
        return last!;
    }

    /// <summary>Polls a real server until it reports the state (bounded, so a broken run fails instead of hanging).</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string what, CancellationToken ct)
    {
        for (var i = 0; i < 150; i++)
        {
            if (await condition()) return;
            await Task.Delay(200, ct);
        }
        Assert.Fail($"Gave up waiting for {what}.");
    }
}
