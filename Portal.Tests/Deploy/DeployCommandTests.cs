using System.Text.Json;
using HaPortal.Core.Deploy;
using HaPortal.Core.Persistence;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HaPortal.Tests.Deploy;

public sealed class DeployCommandTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("haportal-deploy-cli-").FullName;

    private string WriteFile(string content)
    {
        var path = Path.Combine(_data, $"{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Plan_TopologyWithRouter_RouterImageMissing_ExitsTwoNamingTheImage()
    {
        await DockerTestEngine.RequireAsync(new DeploySettings(), TestContext.Current.CancellationToken);
        const string image = "haportal/router-tier-test-absent:none";

        var result = await PortalCli.RunAsync(_data, new Dictionary<string, string> { ["Deploy__RouterImage"] = image }, "plan", RepoPaths.SeedStack);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(result.ErrorLines, l => l.Contains($"'{image}'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Destroy_IsAudited_AsTheCommandLineUser_LikeThePageAndTheApi()
    {
        await DockerTestEngine.RequireAsync(new DeploySettings(), TestContext.Current.CancellationToken);
        var name = DockerTestEngine.UniqueName("cliaudit");

        var result = await PortalCli.RunAsync(_data, "destroy", name);

        Assert.True(result.ExitCode == 0, result.Error);
        var options = new DbContextOptionsBuilder<PortalDb>().UseSqlite($"Data Source={Path.Combine(_data, "haportal.db")};Pooling=false").Options;
        await using var db = new PortalDb(options);
        var entry = Assert.Single(await db.Audit.Where(a => a.Target == name).ToListAsync(TestContext.Current.CancellationToken));
        Assert.Equal("deploy.destroy", entry.Action);
        Assert.StartsWith("cli:", entry.User, StringComparison.Ordinal);
        Assert.Equal("nothing on the engine", entry.Before);
    }

    [Fact]
    public async Task Plan_UnknownName_ExitsTwo()
    {
        var result = await PortalCli.RunAsync(_data, "plan", "no-such-topology");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'no-such-topology' is neither a file nor a stored topology", result.Error);
    }

    [Fact]
    public async Task PlanJson_NewTopology_ListsEveryCreateAndNoSecret_StatusSaysNothingIsThere()
    {
        await DockerTestEngine.RequireAsync(new DeploySettings(), TestContext.Current.CancellationToken);
        var name = DockerTestEngine.UniqueName("cli");
        var file = WriteFile($"""
            name: {name}
            web:
              nodes:
                - name: web1
            database:
              primary:
                name: db1
            """);

        var plan = await PortalCli.RunAsync(_data, "plan", file, "--json");
        var status = await PortalCli.RunAsync(_data, "status", name);

        Assert.True(plan.ExitCode == 0, plan.Error);
        using var json = JsonDocument.Parse(plan.Out);
        Assert.Equal(name, json.RootElement.GetProperty("topology").GetString());
        var steps = json.RootElement.GetProperty("steps").EnumerateArray()
            .Select(s => $"{s.GetProperty("action").GetString()} {s.GetProperty("object").GetString()} {s.GetProperty("name").GetString()}")
            .ToArray();
        Assert.Equal([$"create network haportal-{name}", $"create network haportal-{name}-sql", $"create volume {name}-db1-data", $"create container {name}-db1",
            $"create container {name}-web1", $"create container {name}-lb"], steps);
        Assert.DoesNotContain("Password", plan.Out, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains($"{name}: nothing on the engine.", status.Out);
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
