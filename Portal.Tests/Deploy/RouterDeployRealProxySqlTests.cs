using System.Net;
using HaPortal.Core.Deploy;
using HaPortal.Core.ProxySql;
using HaPortal.Core.Rendering;
using HaPortal.Core.Topology;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;
using HaPortal.Tests.ProxySql;

namespace HaPortal.Tests.Deploy;

/// <summary>
/// The end-to-end deploy with the router tier: load balancer, two web nodes, two ProxySQL nodes behind a keepalived
/// virtual IP, a primary and a replica, from the image HAPORTAL_PROXYSQL_IMAGE names. Without that image the test is
/// skipped with the reason, in CI too: the one skip DESIGN.md allows (the double-based and keepalived tests run anyway).
/// </summary>
public class RouterDeployRealProxySqlTests(ITestOutputHelper output)
{
    [Fact(Timeout = 900_000)]
    public async Task Apply_StackWithTwoProxySqlNodesAndVip_ServesThroughTheRouterSplitsReadsAndDestroysCleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        var image = Environment.GetEnvironmentVariable(RealProxySqlFixture.ImageVariable);
        if (string.IsNullOrWhiteSpace(image))
            Assert.Skip($"{RealProxySqlFixture.ImageVariable} is not set: no ProxySQL image to deploy (RouterTierTests and RouterVirtualIpTests cover the rest).");
        var settings = new DeploySettings { PublishAddress = "127.0.0.1", ReadyTimeout = TimeSpan.FromSeconds(180), RouterImage = image };
        var engine = await DockerTestEngine.RequireAsync(settings, ct);
        if (await engine.ImageIdAsync(image, ct) is null)
            Assert.Skip($"{RealProxySqlFixture.ImageVariable}={image}, but that image is not present in the local Docker engine.");
        Prerequisite.Require(await engine.ImageIdAsync(settings.KeepalivedImage, ct) is not null, $"the image {settings.KeepalivedImage} (run scripts/build-images.sh)");

        var deployer = new StackDeployer(engine, settings, TimeProvider.System);
        var port = FreePort.Next();
        var name = DockerTestEngine.UniqueName("routere2e");
        var vip = $"10.{Random.Shared.Next(160, 250)}.{Random.Shared.Next(0, 256)}.100";
        var spec = RouterTierTests.Spec(2, vip) with { Name = name, LoadBalancer = TestStacks.Small(name, port, FreePort.Next()).LoadBalancer };
        Assert.True(TopologyValidator.Validate(spec).IsValid, string.Join("; ", TopologyValidator.Validate(spec).Errors));
        try
        {
            var prepared = await deployer.PlanAsync(spec, ct);
            Assert.True(prepared.Plan.CanApply, string.Join("; ", prepared.Plan.Problems));
            Assert.Contains(prepared.Plan.Steps, s => s.Tier == DeployTier.RouterVip);
            var events = await DeployEvents.CollectAsync(deployer.ApplyAsync(prepared, ct), output);
            Assert.True(events[^1].Kind == DeployEventKind.Completed, events[^1].Message);
            var admin = prepared.Desired!.RouterAdmin!;
            Assert.DoesNotContain(events, e => e.Message.Contains(admin.Password, StringComparison.Ordinal));

            await DeployEndToEndTests.EveryWebNodeAnswersThroughThePublishedPort(port, ["web1", "web2"], ct);
            await DeployEndToEndTests.ACommentPostedThroughTheLoadBalancerIsOnTheReplica(engine, name, port, ct);

            // The web nodes' reads went through ProxySQL to the reader hostgroup (digests on the node holding the VIP or its peer).
            var digests = new List<QueryDigestStat>();
            foreach (var node in new[] { "proxysql1", "proxysql2" })
            {
                var address = await engine.AddressOnNetworkAsync(DesiredStackBuilder.ContainerName(name, node), prepared.Desired.Network, ct);
                var client = new ProxySqlAdminClient(new ProxySqlEndpoint(address!, StackPorts.ProxySqlAdmin, admin.User, admin.Password), node);
                Assert.Empty(await RouterConfiguration.DifferencesAsync(client, spec, ct));
                digests.AddRange(await client.GetQueryDigestsAsync(ct));
            }
            Assert.Contains(digests, d => d.Hostgroup == 20 && d.DigestText.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase));
            Assert.Contains(digests, d => d.Hostgroup == 10 && d.DigestText.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase));

            var again = await deployer.PlanAsync(spec, ct);
            Assert.True(again.Plan.IsEmpty, string.Join("; ", again.Plan.Steps));

            // One ProxySQL node gone: the VIP moves and the blog still reads its posts through the stack.
            await engine.StopContainerAsync(DesiredStackBuilder.ContainerName(name, "proxysql1"), TimeSpan.FromSeconds(5), ct);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var answered = false;
            for (var i = 0; i < 60 && !answered; i++)
            {
                using var response = await http.GetAsync("/", ct);
                answered = response.StatusCode == HttpStatusCode.OK;
                if (!answered) await Task.Delay(500, ct);
            }
            Assert.True(answered, "the front page did not answer after proxysql1 stopped");
        }
        finally
        {
            var destroy = await deployer.PlanDestroyAsync(name, includeVolumes: true, CancellationToken.None);
            await foreach (var e in deployer.DestroyAsync(destroy, CancellationToken.None))
                if (e.IsFinal) output.WriteLine($"destroy: {e.Kind} {e.Message}");
        }
        Assert.True((await engine.ObserveAsync(name, ct)).IsEmpty);
    }
}
