using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Deploy;

/// <summary>
/// A real stack on the real engine from the real images: one HAProxy, two web nodes, a MariaDB primary
/// and a replica, no router. Web traffic goes only through the published port (bound to 127.0.0.1).
/// </summary>
public class DeployEndToEndTests(ITestOutputHelper output)
{
    [Fact(Timeout = 600_000)]
    public async Task Apply_SmallStack_ResumesAfterAFailedStepServesBothNodesStickilyReplicatesAndDestroysCleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new DeploySettings { PublishAddress = "127.0.0.1", ReadyTimeout = TimeSpan.FromSeconds(180) };
        var engine = await DockerTestEngine.RequireAsync(settings, ct);
        using var db = new TestDatabase();
        var keys = Directory.CreateTempSubdirectory("haportal-keys-");
        var store = new SecretsStore(db, Microsoft.AspNetCore.DataProtection.DataProtectionProvider.Create(keys), db.Time);
        var deployer = new StackDeployer(engine, settings, TimeProvider.System, secrets: store);
        var (port, statsPort) = (FreePort.Next(), FreePort.Next());
        var spec = TestStacks.Small(DockerTestEngine.UniqueName("e2e"), port, statsPort);
        Assert.True(TopologyValidator.Validate(spec).IsValid);

        try
        {
            // Someone else holds the published port: the load balancer cannot start, everything before it can.
            var events = new List<DeployProgress>();
            using (var squatter = new TcpListener(IPAddress.Loopback, port))
            {
                squatter.Start();
                var prepared = await deployer.PlanAsync(spec, ct);
                Assert.Equal(9, prepared.Plan.Steps.Length);
                var clock = Stopwatch.StartNew();
                events.AddRange(await DeployEvents.CollectAsync(deployer.ApplyAsync(prepared, ct), output));
                output.WriteLine($"apply until the load balancer took {clock.Elapsed.TotalSeconds:0.0} s");
            }
            var failed = events[^1];
            Assert.Equal(DeployEventKind.Failed, failed.Kind);
            Assert.Equal("lb", failed.Step!.Node);
            Assert.Contains($"Step 'create container {spec.Name}-lb' on node 'lb' failed", failed.Message);
            Assert.Contains("address already in use", failed.Message);
            Assert.Equal(8, failed.Done.Length);

            // Applying again continues from what is there: only the load balancer is left to do.
            var resumed = await deployer.PlanAsync(spec, ct);
            var step = Assert.Single(resumed.Plan.Steps);
            Assert.Equal((PlanAction.Recreate, "lb", "container is created"), (step.Action, step.Node, step.Reason));
            var rest = await DeployEvents.CollectAsync(deployer.ApplyAsync(resumed, ct), output);
            Assert.True(rest[^1].Kind == DeployEventKind.Completed, rest[^1].Message);
            events.AddRange(rest);

            // The containers carry the stored secrets, and they never reach the progress stream.
            var secrets = StackSecrets.FromEnvironment(await engine.ReadEnvironmentAsync(
                DesiredStackBuilder.ContainerName(spec.Name, "db1"), StackSecrets.Variables, ct))!;
            Assert.Equal(await store.FindAsync(spec.Name, ct), secrets);
            Assert.DoesNotContain(events, e => e.Message.Contains(secrets.AppPassword) || e.Message.Contains(secrets.ReplicationPassword));

            await BothWebNodesAnswerThroughThePublishedPort(port, ct);
            await StickyCookiePinsTheClientToOneNode(port, statsPort, ct);
            await WritesOnThePrimaryReachTheReplica(engine, spec.Name, ct);
            await ACommentPostedThroughTheLoadBalancerIsOnTheReplica(engine, spec.Name, port, ct);

            var again = await deployer.PlanAsync(spec, ct);
            Assert.True(again.Plan.IsEmpty, string.Join("; ", again.Plan.Steps));

            // A third web node: created, and the load balancer reloads its haproxy.cfg in place (same container).
            var lbBefore = (await engine.ObserveAsync(spec.Name, ct)).Containers.Single(c => c.Node == "lb").Id;
            var grown = spec with { Web = spec.Web with { Nodes = [.. spec.Web.Nodes, new WebNodeSpec { Name = "web3" }] } };
            var grow = await deployer.PlanAsync(grown, ct);
            Assert.Equal([$"create container {spec.Name}-web3", $"reload container {spec.Name}-lb (haproxy.cfg changed)"],
                grow.Plan.Steps.Select(s => s.ToString()));
            var grew = await DeployEvents.CollectAsync(deployer.ApplyAsync(grow, ct), output);
            Assert.True(grew[^1].Kind == DeployEventKind.Completed, grew[^1].Message);
            Assert.Equal(lbBefore, (await engine.ObserveAsync(spec.Name, ct)).Containers.Single(c => c.Node == "lb").Id);
            await EveryWebNodeAnswersThroughThePublishedPort(port, ["web1", "web2", "web3"], ct);
            var settled = await deployer.PlanAsync(grown, ct);
            Assert.True(settled.Plan.IsEmpty, string.Join("; ", settled.Plan.Steps));
        }
        finally
        {
            var destroy = await deployer.PlanDestroyAsync(spec.Name, includeVolumes: true, CancellationToken.None);
            await foreach (var e in deployer.DestroyAsync(destroy, CancellationToken.None))
                output.WriteLine($"destroy: {e.Kind} {e.Step?.Name} {e.Message}");
        }
        Assert.True((await engine.ObserveAsync(spec.Name, ct)).IsEmpty);
        Assert.DoesNotContain(spec.Name, await engine.ListTopologiesAsync(ct));
        Assert.Null(await store.FindAsync(spec.Name, ct));
        keys.Delete(recursive: true);
    }

    private static Task BothWebNodesAnswerThroughThePublishedPort(int port, CancellationToken ct) =>
        EveryWebNodeAnswersThroughThePublishedPort(port, ["web1", "web2"], ct);

    internal static async Task EveryWebNodeAnswersThroughThePublishedPort(int port, string[] nodes, CancellationToken ct)
    {
        // No cookie jar: every request is a new client, so round robin spreads them and HAProxy names the server each time.
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var servers = new HashSet<string>();
        for (var i = 0; i < 3 * nodes.Length; i++)
        {
            using var response = await http.GetAsync("/health", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync(ct));
            servers.Add(ServerCookie(response) ?? "(none)");
        }
        Assert.Equal(nodes, servers.Order());
    }

    private static async Task StickyCookiePinsTheClientToOneNode(int port, int statsPort, CancellationToken ct)
    {
        using var stats = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{statsPort}") };
        var before = await SessionsPerServer(stats, ct);

        using var browser = new HttpClient(new SocketsHttpHandler { UseCookies = true, CookieContainer = new CookieContainer() })
        { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var first = await browser.GetAsync("/health", ct);
        var pinned = ServerCookie(first);
        Assert.NotNull(pinned);
        for (var i = 0; i < 10; i++)
        {
            using var response = await browser.GetAsync("/health", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // With the cookie honoured HAProxy sets no new one; a different server would get a new cookie.
            Assert.Null(ServerCookie(response));
        }

        var after = await SessionsPerServer(stats, ct);
        var other = pinned == "web1" ? "web2" : "web1";
        Assert.Equal(11, after[pinned!] - before[pinned!]);
        Assert.Equal(0, after[other] - before[other]);
    }

    private static async Task WritesOnThePrimaryReachTheReplica(IContainerEngine engine, string topology, CancellationToken ct)
    {
        // As the app user over the stack's network (its password only in the container's environment).
        var write = await engine.ExecAsync(DesiredStackBuilder.ContainerName(topology, "db1"),
            ["sh", "-c", "MYSQL_PWD=\"$HAPORTAL_APP_PASSWORD\" mariadb -h db1 -u app blog -e " +
                "\"CREATE TABLE deploy_probe (id INT PRIMARY KEY, body TEXT); INSERT INTO deploy_probe VALUES (1, 'through the primary')\""], ct);
        Assert.True(write.Succeeded, write.Stderr);

        var replica = DesiredStackBuilder.ContainerName(topology, "db2");
        var deadline = Stopwatch.StartNew();
        ExecResult read;
        do
        {
            read = await engine.ExecAsync(replica, ["mariadb", "--batch", "--skip-column-names", "-e", "SELECT body FROM blog.deploy_probe WHERE id = 1"], ct);
            if (read.Succeeded && read.Stdout.Trim() == "through the primary") break;
            await Task.Delay(200, ct);
        } while (deadline.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Equal("through the primary", read.Stdout.Trim());

        var readOnly = await engine.ExecAsync(replica, ["mariadb", "--batch", "--skip-column-names", "-e", "SELECT @@read_only"], ct);
        Assert.Equal("1", readOnly.Stdout.Trim());
    }

    /// <summary>
    /// The real form, as a browser posts it: the post page through the published port (the sticky cookie pins the
    /// client, so the antiforgery cookie and token are checked on the node that issued them), then the comment.
    /// </summary>
    /// <param name="replicaContainer">The replica's container; null: the Docker deploy's container of node db2.</param>
    internal static async Task ACommentPostedThroughTheLoadBalancerIsOnTheReplica(IContainerEngine engine, string topology, int port, CancellationToken ct,
        string? replicaContainer = null)
    {
        using var browser = new HttpClient(new SocketsHttpHandler { UseCookies = true, CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var home = await browser.GetStringAsync("/", ct);
        var postId = System.Text.RegularExpressions.Regex.Match(home, "href=\"/posts/(\\d+)\"").Groups[1].Value;
        Assert.NotEqual("", postId);
        var page = await browser.GetStringAsync($"/posts/{postId}", ct);
        var token = System.Text.RegularExpressions.Regex.Match(page, "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\"");
        Assert.True(token.Success, "the post page has no antiforgery field");
        var body = $"deploy e2e comment {Guid.NewGuid():N}";

        using var posted = await browser.PostAsync($"/posts/{postId}/comments", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [token.Groups[1].Value] = token.Groups[2].Value,
            ["author"] = "deploy-core e2e",
            ["body"] = body,
        }), ct);
        Assert.True(posted.StatusCode == HttpStatusCode.Redirect, $"HTTP {(int)posted.StatusCode}: {await posted.Content.ReadAsStringAsync(ct)}");

        var replica = replicaContainer ?? DesiredStackBuilder.ContainerName(topology, "db2");
        var deadline = Stopwatch.StartNew();
        ExecResult read;
        do
        {
            read = await engine.ExecAsync(replica, ["mariadb", "--batch", "--skip-column-names", "-e",
                $"SELECT CONCAT(post_id, ' ', author) FROM blog.comments WHERE body = '{body}'"], ct);
            if (read.Succeeded && read.Stdout.Trim().Length > 0) break;
            await Task.Delay(200, ct);
        } while (deadline.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Equal($"{postId} deploy-core e2e", read.Stdout.Trim());
    }

    internal static string? ServerCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';')[0].Split('=', 2)).Where(kv => kv[0] == "SERVERID").Select(kv => kv[1]).FirstOrDefault()
            : null;

    /// <summary>Total sessions per web node (stot) from HAProxy's CSV stats on the loopback-published stats port.</summary>
    private static async Task<Dictionary<string, long>> SessionsPerServer(HttpClient stats, CancellationToken ct)
    {
        var csv = await stats.GetStringAsync("/stats;csv", ct);
        return csv.Split('\n').Select(l => l.Split(','))
            .Where(f => f.Length > 7 && f[0] == "web" && f[1] is "web1" or "web2")
            .ToDictionary(f => f[1], f => long.Parse(f[7], System.Globalization.CultureInfo.InvariantCulture));
    }
}
