using System.Diagnostics;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace HaPortal.Tests.Deploy;

public sealed class ComposeExportTests(ITestOutputHelper output) : IDisposable
{
    private static readonly StackSecrets Secrets = new("repl-secret-value", "app-secret-value", "monitor-secret-value");
    private readonly string _dir = Directory.CreateTempSubdirectory("haportal-compose-").FullName;

    [Fact]
    public void Build_SecretsOnlyInTheOwnerOnlyEnvFile_YmlRefersToThemByName()
    {
        var stack = DesiredStackBuilder.Build(TestStacks.Small("t1", 18080, 18404), new DeploySettings(), Secrets);

        var files = ComposeExport.Build(stack, Secrets);

        var env = Assert.Single(files, f => f.RelativePath == ".env");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, env.Mode);
        Assert.Contains("HAPORTAL_APP_PASSWORD=app-secret-value", env.Content);
        foreach (var file in files.Where(f => f.RelativePath != ".env"))
            foreach (var secret in new[] { Secrets.AppPassword, Secrets.ReplicationPassword, Secrets.MonitorPassword })
                Assert.DoesNotContain(secret, file.Content);
        var yml = Assert.Single(files, f => f.RelativePath == "docker-compose.yml").Content;
        Assert.Contains("Password=${HAPORTAL_APP_PASSWORD}", yml);
    }

    [Fact]
    public void Build_ServicesPerNode_WithLabelsPortsReadOnlyConfigsAndInitFiles()
    {
        var stack = DesiredStackBuilder.Build(TestStacks.Small("t1", 18080, 18404), new DeploySettings { PublishAddress = "127.0.0.1" }, Secrets);

        var files = ComposeExport.Build(stack, Secrets);

        var yaml = new YamlStream();
        yaml.Load(new StringReader(files.Single(f => f.RelativePath == "docker-compose.yml").Content));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal("2.4", root["version"].ToString());
        var services = (YamlMappingNode)root["services"];
        Assert.Equal(["db1", "db2", "web1", "web2", "lb"], services.Children.Keys.Select(k => k.ToString()));
        var lb = (YamlMappingNode)services["lb"];
        Assert.Equal(["127.0.0.1:18080:18080", "127.0.0.1:18404:18404"], ((YamlSequenceNode)lb["ports"]).Select(p => p.ToString()));
        Assert.Equal(["web1", "web2"], ((YamlSequenceNode)lb["depends_on"]).Select(p => p.ToString()));
        Assert.Equal("./config/lb/haproxy.cfg:/etc/haproxy/haproxy.cfg:ro", ((YamlSequenceNode)lb["volumes"]).Single().ToString());
        var replica = (YamlMappingNode)services["db2"];
        Assert.Equal("database", ((YamlMappingNode)replica["labels"])[EngineLabels.Role].ToString());
        Assert.Equal("db-reader", ((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)replica["networks"])["haportal-t1-sql"])["aliases"]).Single().ToString());
        var primary = (YamlMappingNode)services["db1"];
        Assert.Contains($"./config/db1/zz-haportal-compose-primary.cnf:{ComposeExport.PrimaryCnfPath}:ro",
            ((YamlSequenceNode)primary["volumes"]).Select(v => v.ToString()));
        Assert.Contains("./config/db2/01-haportal-bootstrap.sql:/etc/haportal/init.d/01-haportal-bootstrap.sql:ro",
            ((YamlSequenceNode)replica["volumes"]).Select(v => v.ToString()));
        Assert.Contains("MASTER_PASSWORD = '${HAPORTAL_REPL_PASSWORD}'", files.Single(f => f.RelativePath == "config/db2/01-haportal-bootstrap.sql").Content);
        Assert.Contains("IDENTIFIED BY '${HAPORTAL_APP_PASSWORD}'", files.Single(f => f.RelativePath == "config/db1/01-haportal-bootstrap.sql").Content);
        var network = (YamlMappingNode)((YamlMappingNode)root["networks"])["haportal-t1"];
        Assert.Equal("t1", ((YamlMappingNode)network["labels"])[EngineLabels.Topology].ToString());
        Assert.Equal(["t1-db1-data", "t1-db2-data"], ((YamlMappingNode)root["volumes"]).Children.Keys.Select(k => k.ToString()));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task ExportCompose_CommandLine_WritesProjectWithPrivateEnv_AndKeepsSecretsWhenRunAgain()
    {
        var topology = Path.Combine(_dir, "t.yaml");
        await File.WriteAllTextAsync(topology, """
            name: clicompose
            web:
              nodes:
                - name: web1
            database:
              primary:
                name: db1
            """, TestContext.Current.CancellationToken);
        var yml = Path.Combine(_dir, "out", "stack.yml");
        Directory.CreateDirectory(Path.GetDirectoryName(yml)!);

        var first = await PortalCli.RunAsync(_dir, "export", "--compose", topology, "-o", yml);
        var env = await File.ReadAllTextAsync(Path.Combine(_dir, "out", ".env"), TestContext.Current.CancellationToken);
        var second = await PortalCli.RunAsync(_dir, "export", "--compose", topology, "-o", yml);

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "out", ".env")));
        Assert.Equal(env, await File.ReadAllTextAsync(Path.Combine(_dir, "out", ".env"), TestContext.Current.CancellationToken));
        Assert.True(File.Exists(Path.Combine(_dir, "out", "config", "db1", "01-haportal-bootstrap.sql")));
        Assert.Contains("container_name: \"clicompose-web1\"", await File.ReadAllTextAsync(yml, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ExportCompose_TopologyWithRouter_ExitsTwoAndWritesNothing()
    {
        var yml = Path.Combine(_dir, "seed.yml");

        var result = await PortalCli.RunAsync(_dir, "export", "--compose", RepoPaths.SeedStack, "-o", yml);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(result.ErrorLines, l => l.StartsWith("sqlRouter: ", StringComparison.Ordinal));
        Assert.False(File.Exists(yml));
    }

    /// <summary>
    /// The exported project on the real engine with Debian's docker-compose: the databases bootstrap themselves
    /// from the init files (no exec by the portal), both web nodes answer through the published port, a row
    /// written on the primary reaches the read-only replica, and <c>down -v</c> leaves no labelled object.
    /// </summary>
    [Fact(Timeout = 600_000)]
    public async Task ComposeUp_ExportedSmallStack_ServesBothNodesReplicatesAndDownRemovesEverything()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new DeploySettings { PublishAddress = "127.0.0.1" };
        var engine = await DockerTestEngine.RequireAsync(settings, ct);
        var compose = Prerequisite.RequireExecutable("docker-compose");
        var name = DockerTestEngine.UniqueName("compose");
        var port = FreePort.Next();
        var secrets = StackSecrets.Generate();
        var stack = DesiredStackBuilder.Build(TestStacks.Small(name, port, FreePort.Next()), settings, secrets);
        await ComposeExport.WriteAsync(_dir, ComposeExport.ComposeFileName, ComposeExport.Build(stack, secrets), ct);

        try
        {
            var up = await RunAsync(compose, ct, "-p", name, "up", "-d");
            Assert.True(up.ExitCode == 0, up.Output);

            var servers = new HashSet<string>();
            using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var clock = Stopwatch.StartNew();
            while (servers.Count < 2 && clock.Elapsed < TimeSpan.FromSeconds(180))
            {
                try
                {
                    using var response = await http.GetAsync("/health", ct);
                    if (response.IsSuccessStatusCode && response.Headers.TryGetValues("Set-Cookie", out var cookies))
                        servers.UnionWith(cookies.Select(c => c.Split(';')[0].Split('=', 2)).Where(kv => kv[0] == "SERVERID").Select(kv => kv[1]));
                }
                catch (HttpRequestException) { }
                if (servers.Count < 2) await Task.Delay(250, ct);
            }
            output.WriteLine($"both web nodes through the load balancer after {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal(["web1", "web2"], servers.Order());

            var write = await ExecUntilAsync(engine, $"{name}-db1",
                ["sh", "-c", "MYSQL_PWD=\"$HAPORTAL_APP_PASSWORD\" mariadb -h db1 -u app blog -e " +
                    "\"CREATE TABLE compose_probe (id INT PRIMARY KEY, body TEXT); INSERT INTO compose_probe VALUES (1, 'through the primary')\""],
                r => r.Succeeded, ct);
            Assert.True(write.Succeeded, write.Stderr);
            var read = await ExecUntilAsync(engine, $"{name}-db2",
                ["mariadb", "--batch", "--skip-column-names", "-e", "SELECT body FROM blog.compose_probe WHERE id = 1; SELECT @@read_only"],
                r => r.Stdout.Trim() == "through the primary\n1", ct);
            Assert.Equal("through the primary\n1", read.Stdout.Trim());
            var status = await engine.ExecAsync($"{name}-db2", ["mariadb", "-e", "SHOW SLAVE STATUS\\G"], ct);
            Assert.Contains("Using_Gtid: Slave_Pos", status.Stdout);
        }
        finally
        {
            var down = await RunAsync(compose, CancellationToken.None, "-p", name, "down", "-v");
            output.WriteLine(down.Output);
        }
        Assert.True((await engine.ObserveAsync(name, ct)).IsEmpty);
    }

    private static async Task<ExecResult> ExecUntilAsync(IContainerEngine engine, string container, string[] command, Func<ExecResult, bool> done, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var r = await engine.ExecAsync(container, command, ct);
            if (done(r) || clock.Elapsed > TimeSpan.FromSeconds(60)) return r;
            await Task.Delay(250, ct);
        }
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string program, CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
