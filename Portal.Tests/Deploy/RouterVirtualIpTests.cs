using System.Diagnostics;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Deploy;

/// <summary>
/// The keepalived half of the router tier on the real engine, with the real keepalived image and the containers the
/// deploy builds: two router nodes (HAProxy answering on ProxySQL's client port stands in for ProxySQL, whose image is
/// not available here), each with its keepalived in its network namespace, on a sql network whose subnet holds the
/// virtual IP. A client on that network reaches the node holding the VIP; stopping that node moves the VIP to the other.
/// </summary>
public class RouterVirtualIpTests(ITestOutputHelper output)
{
    private static readonly DeploySettings Settings = new() { RouterImage = "haportal/haproxy:dev" };

    [Fact(Timeout = 300_000)]
    public async Task VirtualIp_HeldByOneRouterNode_MovesToTheOtherWhenItStops()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = await DockerTestEngine.RequireAsync(Settings, ct);
        Prerequisite.Require(await engine.ImageIdAsync(Settings.KeepalivedImage, ct) is not null, $"the image {Settings.KeepalivedImage} (run scripts/build-images.sh)");
        Prerequisite.Require(await engine.ImageIdAsync("debian:bookworm-slim", ct) is not null, "the image debian:bookworm-slim (run scripts/build-images.sh)");
        var name = DockerTestEngine.UniqueName("routervip");
        var deployer = new StackDeployer(engine, Settings, TimeProvider.System);
        try
        {
            var (stack, vip) = await CreateNetworksAsync(engine, name, ct);
            foreach (var router in stack.Containers.Where(c => c.Tier == DeployTier.Router))
            {
                await engine.CreateContainerAsync(router.Definition, ct);
                await engine.ConnectNetworkAsync(stack.SqlNetwork, router.Definition.Name, router.SqlAliases!.Value, ct);
                await engine.PutFilesAsync(router.Definition.Name, [new ContainerFile("/etc/haproxy/haproxy.cfg", StandIn(router.Node))], ct);
                await engine.StartContainerAsync(router.Definition.Name, ct);
            }
            var client = $"{name}-client";
            await engine.CreateContainerAsync(new ContainerDefinition
            {
                Name = client, Hostname = "client", Image = "debian:bookworm-slim", Network = stack.SqlNetwork,
                Labels = stack.Containers[0].Definition.Labels.SetItem(EngineLabels.Role, "web").SetItem(EngineLabels.Node, "client"),
                Command = ["sleep", "infinity"],
            }, ct);
            await engine.StartContainerAsync(client, ct);
            // Exactly as the deploy makes them: shared namespace, capabilities, the rendered config and the start command.
            var keepalived = stack.Containers.Where(c => c.Tier == DeployTier.RouterVip).ToList();
            foreach (var k in keepalived)
            {
                await engine.CreateContainerAsync(k.Definition, ct);
                await engine.PutFilesAsync(k.Definition.Name, k.Files, ct);
                await engine.StartContainerAsync(k.Definition.Name, ct);
            }

            var first = await HolderAsync(engine, keepalived, vip, except: null, ct);
            Assert.Equal(first, await AnswerThroughAsync(engine, client, vip, ct));
            output.WriteLine($"{vip} held by {first}");

            await engine.StopContainerAsync(DesiredStackBuilder.ContainerName(name, first), TimeSpan.FromSeconds(2), ct);
            var second = await HolderAsync(engine, keepalived, vip, except: first, ct);
            Assert.NotEqual(first, second);
            Assert.Equal(second, await AnswerThroughAsync(engine, client, vip, ct));
            output.WriteLine($"after stopping {first}: {vip} held by {second}");
        }
        finally
        {
            var destroy = await deployer.PlanDestroyAsync(name, includeVolumes: true, CancellationToken.None);
            await foreach (var e in deployer.DestroyAsync(destroy, CancellationToken.None))
                if (e.IsFinal) output.WriteLine($"destroy: {e.Kind} {e.Message}");
        }
        Assert.True((await engine.ObserveAsync(name, ct)).IsEmpty);
    }

    /// <summary>The networks the deploy would make, in a random 10.x.y.0/24 (another one when the engine already uses it).</summary>
    private static async Task<(DesiredStack Stack, string Vip)> CreateNetworksAsync(IContainerEngine engine, string name, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var vip = $"10.{Random.Shared.Next(160, 250)}.{Random.Shared.Next(0, 256)}.100";
            var stack = DesiredStackBuilder.Build(RouterTierTests.Spec(2, vip) with { Name = name }, Settings, StackSecrets.Generate());
            await engine.EnsureNetworkAsync(stack.Network, DesiredStackBuilder.NetworkLabels(name), ct);
            try
            {
                await engine.EnsureNetworkAsync(stack.SqlNetwork, DesiredStackBuilder.NetworkLabels(name), stack.SqlSubnet, ct);
                return (stack, vip);
            }
            catch (ContainerEngineException e) when (attempt < 5 && e.Message.Contains("overlap", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    /// <summary>HAProxy on ProxySQL's client port, answering with the node's name, so keepalived's check passes and a client sees who holds the VIP.</summary>
    private static string StandIn(string node) => $"""
        global
            maxconn 100
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend proxysql_client_port
            bind :6033
            http-request return status 200 content-type text/plain string {node}
        """ + "\n";

    private async Task<string> HolderAsync(IContainerEngine engine, IReadOnlyList<DesiredContainer> keepalived, string vip, string? except, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var holders = new List<string>();
            foreach (var k in keepalived)
            {
                var router = k.Node[..^"-vip".Length];
                if (router == except) continue;
                try
                {
                    var r = await engine.ExecAsync(k.Definition.Name, ["ip", "-o", "-4", "addr", "show"], ct);
                    if (r.Succeeded && NodeReadiness.HoldsAddress(r.Stdout, vip)) holders.Add(router);
                }
                catch (ContainerEngineException e)
                {
                    last = e.Message;
                }
            }
            // Two holders can happen for an instant when both elections end together; the lower priority yields.
            if (holders.Count == 1) return holders[0];
            if (holders.Count > 1) last = $"held by {string.Join(", ", holders)}";
            await Task.Delay(250, ct);
        }
        foreach (var k in keepalived)
            output.WriteLine($"{k.Node}: {(await engine.InspectHealthAsync(k.Definition.Name, ct)).State}");
        Assert.Fail($"No router node took {vip} within 60 s; last engine message: {last}");
        return "";
    }

    /// <summary>An HTTP GET to the VIP's port 6033 from the client container (bash's /dev/tcp), returning the body: the answering node.</summary>
    private static async Task<string> AnswerThroughAsync(IContainerEngine engine, string client, string vip, CancellationToken ct)
    {
        const string script = "exec 3<>/dev/tcp/$0/6033 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3";
        var clock = Stopwatch.StartNew();
        ExecResult r;
        do
        {
            r = await engine.ExecAsync(client, ["bash", "-c", script, vip], ct);
            if (r.Succeeded && r.Stdout.Contains("\r\n\r\n", StringComparison.Ordinal)) return r.Stdout[(r.Stdout.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..].Trim();
            await Task.Delay(250, ct);
        } while (clock.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Fail($"No answer from {vip}:6033: {r.Stderr}");
        return "";
    }
}
