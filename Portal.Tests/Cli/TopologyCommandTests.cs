using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Cli;

public sealed class TopologyCommandTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("haportal-cli-").FullName;

    private string WriteFile(string content)
    {
        var path = Path.Combine(_data, $"{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Validate_SeedStack_ExitsZero()
    {
        var result = await PortalCli.RunAsync(_data, "validate", RepoPaths.SeedStack);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("seed-stack: valid", result.Out);
    }

    [Fact]
    public async Task Validate_BrokenFile_ExitsTwoWithEveryErrorPathFirst()
    {
        var broken = File.ReadAllText(RepoPaths.SeedStack)
            .Replace("publishPort: 8080", "publishPort: 99999")
            .Replace("- name: web2", "- name: web1")
            .Replace("destination: reader", "destination: elsewhere");

        var result = await PortalCli.RunAsync(_data, "validate", WriteFile(broken));

        Assert.Equal(2, result.ExitCode);
        var errors = result.ErrorLines.Where(l => !l.Contains("warning:")).ToArray();
        Assert.Equal(3, errors.Length);
        Assert.Contains(errors, l => l.StartsWith("loadBalancer.publishPort: ", StringComparison.Ordinal));
        Assert.Contains(errors, l => l.StartsWith("web.nodes[1].name: ", StringComparison.Ordinal));
        Assert.Contains(errors, l => l.StartsWith("sqlRouter.queryRules[1].destination: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_MissingFile_ExitsTwo()
    {
        var result = await PortalCli.RunAsync(_data, "validate", Path.Combine(_data, "nope.yaml"));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("FILE: ", result.Error);
    }

    [Fact]
    public async Task ImportThenExport_GivesBackAnEquivalentFile()
    {
        var import = await PortalCli.RunAsync(_data, "import", RepoPaths.SeedStack);
        var exported = Path.Combine(_data, "out.yaml");
        var export = await PortalCli.RunAsync(_data, "export", "seed-stack", "--out", exported);

        Assert.Equal((0, 0), (import.ExitCode, export.ExitCode));
        Assert.Contains("stored as revision 1", import.Out);
        var original = HaPortal.Core.Topology.TopologyYaml.Parse(File.ReadAllText(RepoPaths.SeedStack)).Spec;
        Assert.Equal(original, HaPortal.Core.Topology.TopologyYaml.Parse(File.ReadAllText(exported)).Spec);
    }

    [Fact]
    public async Task Export_UnknownTopology_ExitsTwo()
    {
        var result = await PortalCli.RunAsync(_data, "export", "no-such-stack");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no topology 'no-such-stack'", result.Error);
    }

    [Fact]
    public async Task UnknownCommand_ExitsTwo()
    {
        var result = await PortalCli.RunAsync(_data, "frobnicate");

        Assert.Equal(2, result.ExitCode);
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
