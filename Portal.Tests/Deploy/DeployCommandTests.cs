using System.Text.Json;
using HaPortal.Core.Deploy;
using HaPortal.Core.Persistence;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
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
    public async Task Plan_TopologyWithRouter_RouterImageFromTheSetting_MissingOnePulledFirst()
    {
        await DockerTestEngine.RequireAsync(new DeploySettings(), TestContext.Current.CancellationToken);
        const string image = "haportal/router-tier-test-absent:none";

        var result = await PortalCli.RunAsync(_data, new Dictionary<string, string> { ["Deploy__RouterImage"] = image }, "plan", RepoPaths.SeedStack);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains($"pull image {image}", result.Out);
        Assert.Contains("create container seed-stack-proxysql1", result.Out);
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
        // The plan stored the topology's secrets, encrypted with the key ring in the data folder (owner only), which the
        // portal shares; their values are in no output.
        var keys = new DirectoryInfo(Path.Combine(_data, "keys"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, keys.UnixFileMode);
        var options = new DbContextOptionsBuilder<PortalDb>().UseSqlite($"Data Source={Path.Combine(_data, "haportal.db")};Pooling=false").Options;
        var store = new SecretsStore(new DbFactory(options), DataProtectionProvider.Create(keys, b => b.SetApplicationName("HaPortal")), TimeProvider.System);
        var secrets = await store.FindAsync(name, TestContext.Current.CancellationToken);
        Assert.NotNull(secrets);
        Assert.All(secrets.ToVariables().Values, v => Assert.DoesNotContain(v, plan.Out + plan.Error, StringComparison.Ordinal));
        Assert.Equal(0, status.ExitCode);
        Assert.Contains($"{name}: nothing on the engine.", status.Out);
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private sealed class DbFactory(DbContextOptions<PortalDb> options) : IDbContextFactory<PortalDb>
    {
        public PortalDb CreateDbContext() => new(options);
    }
}
