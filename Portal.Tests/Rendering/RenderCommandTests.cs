using HaPortal.Cli;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Rendering;

public sealed class RenderCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("haportal-render-cmd-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Render_SeedFile_WritesEveryFileAndPrintsItsPath()
    {
        var output = Path.Combine(_dir.FullName, "out");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());

        var exitCode = await PortalCommandLine.RunAsync(["render", RepoPaths.SeedStack, "--out", output], stdout, stderr);

        Assert.True(exitCode == ExitCodes.Ok, stderr.ToString());
        string[] expected = ["haproxy/haproxy.cfg", "proxysql/proxysql1/proxysql.cnf", "proxysql/admin.sql", "mysql/db1/my.cnf", "mysql/db2/my.cnf"];
        foreach (var relative in expected)
        {
            var path = Path.Combine(output, relative);
            Assert.True(File.Exists(path), $"{relative} was not written");
            Assert.Contains(path, stdout.ToString());
        }
        Assert.Contains("CHANGE-ME-app-password", File.ReadAllText(Path.Combine(output, "proxysql/admin.sql")));
    }

    [Fact]
    public async Task Render_InvalidFile_ExitsTwoWithEveryErrorFieldFirst()
    {
        var broken = File.ReadAllText(RepoPaths.SeedStack)
            .Replace("publishPort: 8080", "publishPort: 70000")
            .Replace("- name: web2", "- name: Web_2");
        var file = Path.Combine(_dir.FullName, "broken.yaml");
        File.WriteAllText(file, broken);
        var output = Path.Combine(_dir.FullName, "out");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());

        var exitCode = await PortalCommandLine.RunAsync(["render", file, "--out", output], stdout, stderr);

        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("loadBalancer.publishPort: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("web.nodes[1].name: ", StringComparison.Ordinal));
        Assert.False(Directory.Exists(output), "nothing is written for an invalid topology");
    }

    [Fact]
    public async Task Render_MissingFile_ExitsTwo()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());

        var exitCode = await PortalCommandLine.RunAsync(["render", Path.Combine(_dir.FullName, "nope.yaml"), "--out", _dir.FullName], stdout, stderr);

        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.StartsWith("FILE: ", stderr.ToString());
    }

    [Fact]
    public async Task Render_OutIsAFile_ExitsOneWithTheReason()
    {
        var blocker = Path.Combine(_dir.FullName, "a-file");
        File.WriteAllText(blocker, "");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());

        var exitCode = await PortalCommandLine.RunAsync(["render", RepoPaths.SeedStack, "--out", blocker], stdout, stderr);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("--out: cannot write to", stderr.ToString());
    }
}
