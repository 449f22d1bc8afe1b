using System.Collections.Immutable;
using HaPortal.Core.Replication;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Replication;

/// <summary>A local cluster wired to the real replication services, a stored topology and an audit log.</summary>
public sealed class ClusterSetup : IAsyncDisposable
{
    public static readonly Actor Operator = new("olga", new HashSet<string> { Roles.Operator });
    public const string Topology = "seed-stack";

    public required MariaDbCluster Nodes { get; init; }
    public TestDatabase Db { get; } = new();
    public MySqlReplicationControl Control { get; } = new(MariaDbCluster.Credentials);
    public NoRouterSwitch Routing { get; } = new();
    public ReplicationOperations Operations { get; private set; } = null!;

    public static async Task<ClusterSetup> StartAsync(Dictionary<string, int>? priorities = null, bool semiSync = false, ReplicationOptions? options = null, TimeProvider? time = null)
    {
        var nodes = await MariaDbCluster.StartAsync(3, semiSync, TestContext.Current.CancellationToken);
        var setup = new ClusterSetup { Nodes = nodes };
        var fencing = new FirstConfirmedFencing(new ReadOnlyFencing(setup.Control),
            new LocalProcessFencing(nodes.Nodes.ToDictionary(n => n.Name, n => n.PidFile)));
        setup.Operations = new ReplicationOperations(setup.Control, fencing, setup.Routing, time ?? setup.Db.Time, options, setup.Db.Topologies, setup.Db.Audit);
        var seed = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!;
        priorities ??= [];
        var spec = seed with
        {
            Database = seed.Database with
            {
                Primary = new DbNodeSpec { Name = "db1", Priority = priorities.GetValueOrDefault("db1") },
                Replicas = [new DbNodeSpec { Name = "db2", Priority = priorities.GetValueOrDefault("db2") }, new DbNodeSpec { Name = "db3", Priority = priorities.GetValueOrDefault("db3") }],
            },
        };
        var saved = await setup.Db.Topologies.SaveAsync(spec, Operator, "test cluster", TestContext.Current.CancellationToken);
        Assert.True(saved.Saved, string.Join("; ", saved.Report.Errors));
        return setup;
    }

    /// <summary>The cluster as the stored topology describes it now.</summary>
    public async Task<ReplicationCluster> ClusterAsync()
    {
        var stored = await Db.Topologies.GetAsync(Topology, ct: TestContext.Current.CancellationToken);
        var (cluster, problems) = ReplicationCluster.From(stored!.Spec, Nodes.Endpoints);
        Assert.Empty(problems);
        return cluster!;
    }

    public async Task<ImmutableArray<long>> RowsAsync(string node, string table = "app.t")
    {
        await using var c = await Nodes[node].OpenAsync(TestContext.Current.CancellationToken);
        await using var cmd = new MySqlConnector.MySqlCommand($"SELECT id FROM {table} ORDER BY id", c);
        await using var r = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var ids = ImmutableArray.CreateBuilder<long>();
        while (await r.ReadAsync(TestContext.Current.CancellationToken)) ids.Add(Convert.ToInt64(r.GetValue(0)));
        return ids.ToImmutable();
    }

    public async Task<string> BinlogPosAsync(string node) => (string)(await Nodes[node].ScalarAsync("SELECT @@gtid_binlog_pos", TestContext.Current.CancellationToken))!;

    public async Task WaitCaughtUpAsync(string from, params string[] nodes)
    {
        var pos = await BinlogPosAsync(from);
        foreach (var n in nodes) await Nodes[n].WaitForGtidAsync(pos, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Nodes.DisposeAsync();
        Db.Dispose();
    }
}
