using HaPortal.Core.Topology;

namespace HaPortal.Tests.Deploy;

/// <summary>Topologies the deploy tests share.</summary>
internal static class TestStacks
{
    /// <summary>One HAProxy (checks every second, so a node is UP quickly), two web nodes, a primary and a replica, no router.</summary>
    public static TopologySpec Small(string name, int port, int statsPort) => new()
    {
        Name = name,
        LoadBalancer = new LoadBalancerSpec
        {
            PublishPort = port,
            Stats = new StatsSpec { PublishPort = statsPort },
            HealthCheck = new HealthCheckSpec { IntervalMs = 1000 },
        },
        Web = new WebTierSpec { Nodes = [new WebNodeSpec { Name = "web1" }, new WebNodeSpec { Name = "web2" }] },
        Database = new DatabaseSpec { Primary = new DbNodeSpec { Name = "db1" }, Replicas = [new DbNodeSpec { Name = "db2" }], AppSchema = "blog" },
    };
}
