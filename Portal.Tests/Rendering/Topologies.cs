using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Rendering;

/// <summary>The seed stack and named variants of it, for theories (names are serialisable test data).</summary>
public static class Topologies
{
    public static TopologySpec Seed { get; } = LoadSeed();

    public static readonly string[] VariantNames =
    [
        "seed", "sticky-off", "sticky-rewrite", "sticky-prefix", "leastconn", "source", "five-web-nodes", "stats-off",
        "weights", "node-states", "semi-sync", "mysql", "mysql-semi-sync", "no-router", "two-routers-vip",
    ];

    public static TheoryData<string> Variants => new(VariantNames);

    public static TopologySpec Variant(string name) => name switch
    {
        "seed" => Seed,
        "sticky-off" => WithLb(lb => lb with { StickySessions = lb.StickySessions with { Enabled = false } }),
        "sticky-rewrite" => WithLb(lb => lb with { StickySessions = lb.StickySessions with { Mode = StickyMode.Rewrite, Indirect = false, NoCache = false } }),
        "sticky-prefix" => WithLb(lb => lb with { StickySessions = lb.StickySessions with { Mode = StickyMode.Prefix, Cookie = "JSESSIONID", Indirect = false } }),
        "leastconn" => WithLb(lb => lb with { Balance = BalanceAlgorithm.LeastConn }),
        "source" => WithLb(lb => lb with { Balance = BalanceAlgorithm.Source }),
        "five-web-nodes" => Seed with { Web = new WebTierSpec { Nodes = [.. Enumerable.Range(1, 5).Select(i => new WebNodeSpec { Name = $"web{i}" })] } },
        "stats-off" => WithLb(lb => lb with { Stats = lb.Stats with { Enabled = false } }),
        "weights" => Seed with
        {
            Web = new WebTierSpec { Nodes = [new WebNodeSpec { Name = "web1", Weight = 200 }, new WebNodeSpec { Name = "web2", Weight = 50 }, new WebNodeSpec { Name = "web3", Weight = 0 }] },
        },
        "node-states" => Seed with
        {
            LoadBalancer = Seed.LoadBalancer with { HealthCheck = Seed.LoadBalancer.HealthCheck with { ExpectStatus = 204 } },
            Web = new WebTierSpec { Nodes = [new WebNodeSpec { Name = "web1" }, new WebNodeSpec { Name = "web2", Weight = 60, State = WebNodeState.Drain }, new WebNodeSpec { Name = "web3", State = WebNodeState.Maint }] },
        },
        "semi-sync" => Seed with { Database = Seed.Database with { SemiSync = true } },
        "mysql" => Seed with { Database = Seed.Database with { Flavor = DatabaseFlavor.MySql, Version = "8.0" } },
        "mysql-semi-sync" => Seed with { Database = Seed.Database with { Flavor = DatabaseFlavor.MySql, Version = "8.0", SemiSync = true } },
        "no-router" => Seed with { SqlRouter = null },
        "two-routers-vip" => Seed with
        {
            SqlRouter = Seed.SqlRouter! with { Nodes = [new RouterNodeSpec { Name = "proxysql1" }, new RouterNodeSpec { Name = "proxysql2" }], VirtualIp = "10.20.0.100" },
            Database = Seed.Database with { Replicas = [new DbNodeSpec { Name = "db2" }, new DbNodeSpec { Name = "db3" }] },
        },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such test topology."),
    };

    private static TopologySpec WithLb(Func<LoadBalancerSpec, LoadBalancerSpec> change) => Seed with { LoadBalancer = change(Seed.LoadBalancer) };

    private static TopologySpec LoadSeed()
    {
        var result = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack));
        if (!result.IsValid) throw new InvalidOperationException("The seed stack is invalid: " + string.Join("; ", result.Report.Errors));
        return result.Spec!;
    }
}
