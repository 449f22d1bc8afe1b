using System.Net;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Rendering;
using HaPortal.Core.Topology;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;
using HaPortal.Tests.ProxySql;
using MySqlConnector;
using StackSecrets = HaPortal.Core.Deploy.StackSecrets;

namespace HaPortal.Tests.Deploy;

/// <summary>
/// The whole router-tier deploy on the real engine without a ProxySQL image: the planner, the executor, the real
/// keepalived containers and the router readiness run as they do for ProxySQL, but each router container is HAProxy
/// standing in for it: port 6032 forwards to the ProxySQL admin double (holding what the rendered admin statements put
/// there; the readiness reads its runtime tables), port 6033 passes the MySQL protocol through to the primary. It proves
/// the tier's wiring (order, networks, VIP, web nodes' endpoint, second plan empty, destroy), never ProxySQL itself:
/// that is <see cref="RouterDeployRealProxySqlTests"/>.
/// </summary>
public class RouterDeployStandInTests(ITestOutputHelper output)
{
    private static readonly DeploySettings Settings = new()
    {
        PublishAddress = "127.0.0.1", ReadyTimeout = TimeSpan.FromSeconds(180), RouterImage = "haportal/haproxy:dev",
    };

    [Fact(Timeout = 900_000)]
    public async Task Apply_TwoRouterNodesWithVip_WebNodesReachTheDatabaseThroughTheVip_SecondPlanEmpty_DestroyClean()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = await DockerTestEngine.RequireAsync(Settings, ct);
        Prerequisite.Require(await engine.ImageIdAsync(Settings.KeepalivedImage, ct) is not null, $"the image {Settings.KeepalivedImage} (run scripts/build-images.sh)");
        var deployer = new StackDeployer(engine, Settings, TimeProvider.System);
        var name = DockerTestEngine.UniqueName("routerstandin");
        var port = FreePort.Next();
        try
        {
            // The networks first (as the apply would make them), so the forwarder can listen on the sql network's gateway.
            var spec = await CreateNetworksAsync(engine, name, port, ct);
            var prepared = await deployer.PlanAsync(spec, ct);
            Assert.True(prepared.Plan.CanApply, string.Join("; ", prepared.Plan.Problems));
            Assert.DoesNotContain(prepared.Plan.Steps, s => s.Object == PlanObject.Network);
            var desired = prepared.Desired!;
            var secrets = StackSecrets.FromEnvironment(desired.Containers.Single(c => c.Node == "db1").Definition.SecretEnvironment)!;

            await using var proxysql = ProxySqlAdminDouble.Start(desired.RouterAdmin!.User, desired.RouterAdmin.Password);
            await using (var admin = new MySqlConnection(new MySqlConnectionStringBuilder
            {
                Server = "127.0.0.1", Port = (uint)proxysql.Port, UserID = proxysql.User, Password = proxysql.Password, Pooling = false,
            }.ConnectionString))
            {
                await admin.OpenAsync(ct);
                foreach (var sql in ProxySqlRenderer.RenderAdminSql(spec, RouterStack.RenderSecrets(secrets)))
                    await new MySqlCommand(sql, admin).ExecuteNonQueryAsync(ct);
            }
            var gateway = desired.SqlSubnet!.Gateway;
            await using var forwarder = new TcpForwarder(IPAddress.Parse(gateway), proxysql.Port);

            // Same containers, labels and hashes; only the router nodes' file is the stand-in's.
            var standIn = desired with
            {
                Containers = [.. desired.Containers.Select(c => c.Tier == DeployTier.Router
                    ? c with { Files = [new ContainerFile("/etc/haproxy/haproxy.cfg", StandInConfig(gateway, forwarder.Port))] }
                    : c)],
            };
            var events = await DeployEvents.CollectAsync(deployer.ApplyAsync(prepared with { Desired = standIn }, ct), output);
            Assert.True(events[^1].Kind == DeployEventKind.Completed, events[^1].Message);
            Assert.Contains(events, e => e.Kind == DeployEventKind.StepProgress && e.Message.StartsWith("hold the topology in its runtime tables: ok", StringComparison.Ordinal));
            Assert.Contains(events, e => e.Kind == DeployEventKind.StepProgress && e.Message.StartsWith($"have one router node hold the virtual IP {spec.SqlRouter!.VirtualIp}: ok", StringComparison.Ordinal));
            Assert.Contains(proxysql.Statements, s => s.Contains("runtime_mysql_query_rules", StringComparison.Ordinal));
            Assert.DoesNotContain(events, e => e.Message.Contains(desired.RouterAdmin.Password, StringComparison.Ordinal));

            // The web nodes' only database endpoint is the VIP: a comment through the load balancer lands on the replica.
            Assert.StartsWith($"Server={spec.SqlRouter!.VirtualIp};Port=6033;",
                desired.Containers.Single(c => c.Node == "web1").Definition.SecretEnvironment["ConnectionStrings__App"]);
            await DeployEndToEndTests.EveryWebNodeAnswersThroughThePublishedPort(port, ["web1", "web2"], ct);
            await DeployEndToEndTests.ACommentPostedThroughTheLoadBalancerIsOnTheReplica(engine, name, port, ct);

            var again = await deployer.PlanAsync(spec, ct);
            Assert.True(again.Plan.IsEmpty, string.Join("; ", again.Plan.Steps));
            var status = await deployer.StatusAsync(name, ct);
            Assert.Equal(["database", "database", "router", "router", RouterStack.KeepalivedRoleLabel, RouterStack.KeepalivedRoleLabel, "web", "web", "load-balancer"],
                status.Nodes.Select(n => n.Role));
            Assert.All(status.Nodes, n => Assert.Equal("running", n.State));
        }
        finally
        {
            var destroy = await deployer.PlanDestroyAsync(name, includeVolumes: true, CancellationToken.None);
            await foreach (var e in deployer.DestroyAsync(destroy, CancellationToken.None))
                if (e.IsFinal) output.WriteLine($"destroy: {e.Kind} {e.Message}");
        }
        Assert.True((await engine.ObserveAsync(name, ct)).IsEmpty);
    }

    /// <summary>Both networks in a random 10.x.y.0/24 for the VIP (another one when the engine already uses it); returns the topology.</summary>
    private static async Task<TopologySpec> CreateNetworksAsync(IContainerEngine engine, string name, int port, CancellationToken ct)
    {
        var labels = DesiredStackBuilder.NetworkLabels(name);
        await engine.EnsureNetworkAsync(DesiredStackBuilder.NetworkName(name), labels, ct);
        for (var attempt = 0; ; attempt++)
        {
            var vip = $"10.{Random.Shared.Next(160, 250)}.{Random.Shared.Next(0, 256)}.100";
            var spec = RouterTierTests.Spec(2, vip) with { Name = name, LoadBalancer = TestStacks.Small(name, port, FreePort.Next()).LoadBalancer };
            try
            {
                await engine.EnsureNetworkAsync(DesiredStackBuilder.SqlNetworkName(name), labels, RouterStack.SqlSubnet(spec), ct);
                return spec;
            }
            catch (ContainerEngineException e) when (attempt < 5 && e.Message.Contains("overlap", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    private static string StandInConfig(string gateway, int adminPort) => $"""
        defaults
            mode tcp
            timeout connect 2s
            timeout client 1h
            timeout server 1h
        listen proxysql_admin
            bind :6032
            server admin_double {gateway}:{adminPort}
        listen proxysql_client
            bind :6033
            server primary db1:3306
        """ + "\n";
}
