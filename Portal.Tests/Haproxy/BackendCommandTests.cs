using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Haproxy;

/// <summary>backends … through the real Portal executable against a real HAProxy.</summary>
public sealed class BackendCommandTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _data = Directory.CreateTempSubdirectory("haportal-cli-").FullName;

    [Fact]
    public async Task List_OverTcp_ShowsBothServersUp()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        var result = await PortalCli.RunAsync(_data, "backends", "list", "--runtime", $"ipv4@127.0.0.1:{stack.AdminTcpPort}");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("web  UP  balance roundrobin  cookie SERVERID", result.Out);
        Assert.Contains(result.Out.Split('\n'), l => l.TrimStart().StartsWith("web1", StringComparison.Ordinal) && l.Contains("weight 100"));
    }

    [Fact]
    public async Task SetWeight_WithTopology_ChangesHaproxyAndRecordsARevision()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        Assert.Equal(0, (await PortalCli.RunAsync(_data, "import", RepoPaths.SeedStack)).ExitCode);

        var result = await PortalCli.RunAsync(_data, "backends", "set-weight", "web/web2", "40", "--runtime", stack.AdminSocket, "--topology", "seed-stack");
        var exported = await PortalCli.RunAsync(_data, "export", "seed-stack");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("web/web2: UP, ready, weight 40", result.Out);
        Assert.Contains("as revision 2", result.Out);
        Assert.Equal(40, (await stack.Runtime.GetServerAsync("web", "web2", Ct))!.Weight);
        Assert.Contains("weight: 40", exported.Out);
    }

    [Fact]
    public async Task DeployedMode_InvalidInput_ExitsTwoWithTheField_AndChangesNothing()
    {
        Assert.Equal(0, (await PortalCli.RunAsync(_data, "import", RepoPaths.SeedStack)).ExitCode);

        var withAddress = await PortalCli.RunAsync(_data, "backends", "add", "web/web3", "10.0.0.3:8080", "--topology", "seed-stack");
        var unknownNode = await PortalCli.RunAsync(_data, "backends", "remove", "web/web9", "--topology", "seed-stack");
        var neither = await PortalCli.RunAsync(_data, "backends", "list");
        var history = await PortalCli.RunAsync(_data, "export", "seed-stack");

        Assert.Equal(2, withAddress.ExitCode);
        Assert.StartsWith("ADDRESS: a deployed topology's web node runs in a container", withAddress.Error.Trim());
        Assert.Equal(2, unknownNode.ExitCode);
        Assert.StartsWith("node: Topology 'seed-stack' has no web node 'web9'", unknownNode.Error.Trim());
        Assert.Equal(2, neither.ExitCode);
        Assert.Contains("--runtime:", neither.Error);
        Assert.Contains("--topology NAME of a deployed topology", neither.Error);
        Assert.DoesNotContain("web3", history.Out);
    }

    [Fact]
    public async Task SetWeight_InvalidInput_ExitsTwoWithEveryFieldFirst_AndChangesNothing()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        var result = await PortalCli.RunAsync(_data, "backends", "set-weight", "web/web9", "999", "--runtime", stack.AdminSocket, "--topology", "nope");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(["server", "topology", "weight"], result.ErrorLines.Select(l => l[..l.IndexOf(':')]).Order());
        Assert.Equal(100, (await stack.Runtime.GetServerAsync("web", "web1", Ct))!.Weight);
    }

    [Fact]
    public async Task Drain_ThenReady_JsonReportsTheState()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);

        var drained = await PortalCli.RunAsync(_data, "backends", "drain", "web/web1", "--runtime", stack.AdminSocket, "--json");
        var ready = await PortalCli.RunAsync(_data, "backends", "ready", "web/web1", "--runtime", stack.AdminSocket);

        Assert.Equal(0, drained.ExitCode);
        Assert.Contains("\"admin\": \"drain\"", drained.Out);
        Assert.Equal(0, ready.ExitCode);
        Assert.Equal(Core.Haproxy.ServerAdminState.Ready, (await stack.Runtime.GetServerAsync("web", "web1", Ct))!.Admin);
    }

    [Fact]
    public async Task UnreachableRuntime_ExitsOneNamingTheEndpoint()
    {
        var result = await PortalCli.RunAsync(_data, "backends", "list", "--runtime", Path.Combine(_data, "missing.sock"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("missing.sock", result.Error);
    }

    private async Task<string[]> SettingsArgsAsync(HaproxyStack stack)
    {
        var file = Path.Combine(_data, "settings.yaml");
        await File.WriteAllTextAsync(file, Core.Topology.TopologyYaml.Serialize(BackendSettingsTests.Topology()), Ct);
        Assert.Equal(0, (await PortalCli.RunAsync(_data, "import", file)).ExitCode);
        var s = BackendSettingsTests.Settings(stack);
        return ["backends", "settings", BackendSettingsTests.Name, "--runtime", s.RuntimeEndpoint!, "--config", s.ConfigPath!, "--master", s.MasterSocket!,
            "--haproxy", s.Binary, "--bind", s.FrontendBind!, .. s.NodeAddresses.SelectMany(n => new[] { "--node", $"{n.Key}={n.Value}" })];
    }

    [Fact]
    public async Task Settings_Valid_Reloads_Invalid_ExitsTwoPerOption_Rejected_ExitsOneWithHaproxysMessage()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var args = await SettingsArgsAsync(stack);

        var invalid = await PortalCli.RunAsync(_data, [.. args, "--balance", "fastest", "--rise", "0"]);
        var rejected = await PortalCli.RunAsync(_data, [.. args, "--cookie", "SERVER'ID"]);
        var valid = await PortalCli.RunAsync(_data, [.. args, "--cookie", "PORTALSID", "--mode", "insert", "--indirect", "false"]);

        Assert.Equal(2, invalid.ExitCode);
        Assert.Equal(["--balance", "--rise"], invalid.ErrorLines.Select(l => l[..l.IndexOf(':')]).Order());
        Assert.Equal(1, rejected.ExitCode);
        Assert.Contains("haproxy: HAProxy rejected the new config", rejected.Error);
        Assert.Contains("unmatched quote", rejected.Error);
        Assert.Equal(0, valid.ExitCode);
        Assert.Contains("as revision 2", valid.Out);
        Assert.Equal("PORTALSID", (await stack.Runtime.ListBackendsAsync(Ct)).Single(b => b.Name == "web").Cookie);
        Assert.Contains("cookie PORTALSID insert nocache", await File.ReadAllTextAsync(stack.ConfigPath, Ct));
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
