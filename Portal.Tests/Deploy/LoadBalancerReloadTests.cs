using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;
using HaPortal.Tests.Docker;

namespace HaPortal.Tests.Deploy;

/// <summary>A reload whose haproxy.cfg HAProxy refuses, on a real HAProxy container: the apply stops, the old file keeps serving.</summary>
public class LoadBalancerReloadTests
{
    [Fact(Timeout = 120_000)]
    public async Task Reload_ConfigHaproxyRefuses_StopsWithHaproxysMessageAndKeepsTheOldFile()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new DeploySettings { PublishAddress = "127.0.0.1", ReadyTimeout = TimeSpan.FromSeconds(20) };
        var engine = await DockerTestEngine.RequireAsync(settings, ct);
        var spec = new TopologySpec
        {
            Name = DockerTestEngine.UniqueName("reload"),
            LoadBalancer = new LoadBalancerSpec { PublishPort = 18080, Stats = new StatsSpec { Enabled = false } },
            Web = new WebTierSpec { Nodes = [new WebNodeSpec { Name = "web1" }] },
            Database = new DatabaseSpec { Primary = new DbNodeSpec { Name = "db1" }, AppSchema = "blog" },
        };
        var desired = DesiredStackBuilder.Build(spec, settings, StackSecrets.Generate());
        var lb = desired.Containers.Single(c => c.Role == NodeRole.LoadBalancer);
        var name = lb.Definition.Name;
        try
        {
            await engine.EnsureNetworkAsync(desired.Network, DesiredStackBuilder.NetworkLabels(spec.Name), ct);
            await engine.CreateContainerAsync(lb.Definition with { Ports = [] }, ct);
            await engine.PutFilesAsync(name, lb.Files, ct);
            await engine.StartContainerAsync(name, ct);
            var good = lb.Files.Single().Content;

            var broken = desired with
            {
                Containers = [lb with { Files = [lb.Files.Single() with { Content = good.Replace("balance roundrobin", "balance no-such-algorithm") }] }],
            };
            var plan = new DeployPlan(spec.Name, [new PlanStep(PlanAction.Reload, PlanObject.Container, name, "lb", DeployTier.LoadBalancer, 5, "haproxy.cfg changed")], []);
            var events = new List<DeployProgress>();
            await foreach (var e in new DeployExecutor(engine, settings, TimeProvider.System).RunAsync(plan, broken, ct)) events.Add(e);

            var failed = events[^1];
            Assert.Equal(DeployEventKind.Failed, failed.Kind);
            Assert.Contains("HAProxy refused the new haproxy.cfg (the old one keeps serving)", failed.Message);
            Assert.Contains("balance only supports", failed.Message);
            Assert.Equal(good, (await engine.ExecAsync(name, ["cat", DesiredStackBuilder.HaproxyCfgPath], ct)).Stdout);
            Assert.False((await engine.ExecAsync(name, ["test", "-e", DesiredStackBuilder.HaproxyCfgPath + ".new"], ct)).Succeeded);
            Assert.True((await engine.InspectHealthAsync(name, ct)).IsRunning);
        }
        finally
        {
            var deployer = new StackDeployer(engine, settings, TimeProvider.System);
            await foreach (var _ in deployer.DestroyAsync(await deployer.PlanDestroyAsync(spec.Name, includeVolumes: true, CancellationToken.None), CancellationToken.None)) { }
        }
    }
}
