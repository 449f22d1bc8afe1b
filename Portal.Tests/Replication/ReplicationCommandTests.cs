using HaPortal.Core.Replication;
using System.Diagnostics;
using System.Text.Json;
using HaPortal.Core.Topology;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Replication;

/// <summary>status, switchover, failover, rejoin through the real Portal executable against real mariadbd.</summary>
public sealed class ReplicationCommandTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("haportal-repl-cli-").FullName;
    private MariaDbCluster _cluster = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cluster = await MariaDbCluster.StartAsync(3, ct: Ct);
        var seed = TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec!;
        var spec = seed with { Database = seed.Database with { AppSchema = MariaDbCluster.AppSchema, Primary = new DbNodeSpec { Name = "db1" }, Replicas = [new DbNodeSpec { Name = "db2" }, new DbNodeSpec { Name = "db3" }] } };
        var file = Path.Combine(_data, "stack.yaml");
        await File.WriteAllTextAsync(file, TopologyYaml.Serialize(spec), Ct);
        var imported = await RunAsync("import", file);
        Assert.Equal(0, imported.ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private string[] Nodes => [.. _cluster.Nodes.SelectMany(n => new[] { "--node", $"{n.Name}=127.0.0.1:{n.Port}" })];

    private async Task<CliResult> RunAsync(params string[] args)
    {
        Prerequisite.Require(File.Exists(RepoPaths.PortalDll), $"the built portal at {RepoPaths.PortalDll}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(RepoPaths.PortalDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["Portal__DataFolder"] = _data;
        foreach (var (key, value) in MariaDbCluster.PortalAccounts) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return new(process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Status_Json_ShowsEveryNodeAndNoDrift()
    {
        var result = await RunAsync(["replication-status", "seed-stack", "--json", .. Nodes]);

        Assert.True(result.ExitCode == 0, result.Error + result.Out);
        using var json = JsonDocument.Parse(result.Out);
        var roles = json.RootElement.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("name").GetString()!, n => n.GetProperty("role").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["db1"] = "Primary", ["db2"] = "Replica", ["db3"] = "Replica" }, roles);
        Assert.Empty(json.RootElement.GetProperty("drift").EnumerateArray());
    }

    [Fact]
    public async Task Switchover_ThenStatus_NewPrimaryStoredAndObserved()
    {
        var switched = await RunAsync(["switchover", "seed-stack", "--to", "db3", .. Nodes]);
        var status = await RunAsync(["replication-status", "seed-stack", .. Nodes]);

        Assert.True(switched.ExitCode == 0, switched.Error + switched.Out);
        Assert.Contains("PASS no errant transactions", switched.Out);
        Assert.Contains("Switchover done: db3 is the primary (was db1).", switched.Out);
        Assert.Equal(0, status.ExitCode);
        Assert.Matches(@"db3\s+Primary\s+read_only=OFF", status.Out);
        Assert.Matches(@"db1\s+Replica\s+read_only=ON .*source=db3 io=Yes sql=Yes", status.Out);
    }

    [Fact]
    public async Task Failover_PrimaryUp_ExitsOneWithTheReason()
    {
        var result = await RunAsync(["failover", "seed-stack", .. Nodes]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("db1 is reachable and accepts writes; use a switchover", result.Error);
    }

    [Fact]
    public async Task Commands_InvalidInput_ExitTwoWithEveryProblem()
    {
        var missing = await RunAsync("replication-status", "seed-stack", "--node", "db1=127.0.0.1:notaport", "--node", "db9=127.0.0.1:1");
        var wrongTarget = await RunAsync(["switchover", "seed-stack", "--to", "db1", .. Nodes]);

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--node 'db1=127.0.0.1:notaport': write NAME=HOST:PORT", missing.Error);
        Assert.Contains("Database node 'db2': no endpoint given", missing.Error);
        Assert.Contains("Endpoint 'db9': topology 'seed-stack' has no database node of that name.", missing.Error);
        Assert.Equal(2, wrongTarget.ExitCode);
        Assert.Contains("--to: 'db1' is not a replica of 'seed-stack'.", wrongTarget.Error);
    }

    private string[] PidFiles => [.. _cluster.Nodes.SelectMany(n => new[] { "--pid-file", $"{n.Name}={n.PidFile}" })];

    [Fact]
    public async Task Drill_Switchover_TwoRuns_Json_LosesNothing_KeepsEachRun()
    {
        var result = await RunAsync(["drill", "seed-stack", "--kind", "switchover", "--runs", "2", "--json", .. Nodes, .. PidFiles]);

        Assert.True(result.ExitCode == 0, result.Error + result.Out);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(2, json.RootElement.GetProperty("runs").GetArrayLength());
        Assert.Equal(0, json.RootElement.GetProperty("acknowledgedLost").GetInt32());
        Assert.True(json.RootElement.GetProperty("medianUnavailableSeconds").GetDouble() > 0);
        foreach (var run in json.RootElement.GetProperty("runs").EnumerateArray())
            Assert.Contains(run.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("step").GetString() == "first write accepted");
    }

    [Fact]
    public async Task Drill_BadInput_ReportsEveryProblem_ExitsTwo_ChangesNothing()
    {
        var result = await RunAsync(["drill", "seed-stack", "--kind", "explode", "--runs", "0", .. Nodes]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--kind 'explode'", result.Error, StringComparison.Ordinal);
        Assert.Contains("--runs 0", result.Error, StringComparison.Ordinal);
        Assert.Equal(ObservedRole.Primary, (await new MySqlReplicationControl(MariaDbCluster.Credentials).GetStatusAsync(_cluster["db1"].Endpoint, Ct)).Role);
    }
}
