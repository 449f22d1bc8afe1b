using System.Net.NetworkInformation;
using HaPortal.Core.Rendering;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Rendering;

/// <summary>
/// Rendered files checked by the real programs that will read them. Web node names do not resolve on the test
/// machine, which is the point: init-addr must let HAProxy accept them anyway.
/// </summary>
public sealed class ConfigCheckTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("haportal-render-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData("seed")]
    [InlineData("sticky-off")]
    [InlineData("sticky-rewrite")]
    [InlineData("sticky-prefix")]
    [InlineData("leastconn")]
    [InlineData("source")]
    [InlineData("five-web-nodes")]
    [InlineData("stats-off")]
    [InlineData("weights")]
    public async Task HaproxyCheck_RenderedConfig_IsValidEvenWithUnresolvableWebNodes(string variant)
    {
        var haproxy = Prerequisite.RequireExecutable("haproxy");
        var path = Write("haproxy.cfg", HaproxyRenderer.Render(Topologies.Variant(variant), TempOptions()));

        var (exitCode, output) = await Tool.RunAsync(haproxy, "-c", "-f", path);

        Assert.True(exitCode == 0, $"haproxy -c failed ({exitCode}):\n{output}");
        Assert.Contains("Configuration file is valid", output);
        Assert.DoesNotContain("[ALERT]", output);
    }

    [Fact]
    public async Task HaproxyCheck_WithoutResolvers_IsValidToo()
    {
        var haproxy = Prerequisite.RequireExecutable("haproxy");
        var path = Write("haproxy.cfg", HaproxyRenderer.Render(Topologies.Seed, TempOptions() with { Nameserver = null }));

        var (exitCode, output) = await Tool.RunAsync(haproxy, "-c", "-f", path);

        Assert.True(exitCode == 0, $"haproxy -c failed ({exitCode}):\n{output}");
    }

    [Fact]
    public async Task HaproxyCheck_BrokenConfig_Fails()
    {
        // Proves the check above can fail: the same config with one unknown keyword in the backend.
        var haproxy = Prerequisite.RequireExecutable("haproxy");
        var path = Write("haproxy.cfg", HaproxyRenderer.Render(Topologies.Seed, TempOptions()).Replace("balance roundrobin", "balance roundrobin\n    no-such-keyword 1"));

        var (exitCode, _) = await Tool.RunAsync(haproxy, "-c", "-f", path);

        Assert.NotEqual(0, exitCode);
    }

    [Theory]
    [InlineData("proxysql1")]
    [InlineData("proxysql2")]
    public async Task KeepalivedCheck_RenderedConfig_IsValid(string node)
    {
        var keepalived = Prerequisite.RequireExecutable("keepalived");
        // keepalived -t refuses a missing interface and the loopback; use a real one of this machine.
        var nic = NetworkInterface.GetAllNetworkInterfaces()
            .FirstOrDefault(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback && n.SupportsMulticast);
        Prerequisite.Require(nic is not null, "a non-loopback network interface that is up");
        var text = KeepalivedRenderer.Render(Topologies.Variant("two-routers-vip"), node, StackSecrets.Generate(), new KeepalivedRenderOptions { Interface = nic!.Name });
        var path = Write("keepalived.conf", text);

        var (exitCode, output) = await Tool.RunAsync(keepalived, "--config-test", "-f", path);

        Assert.True(exitCode == 0, $"keepalived --config-test failed ({exitCode}):\n{output}");
    }

    [Theory]
    [InlineData("seed", "db1")]
    [InlineData("seed", "db2")]
    [InlineData("semi-sync", "db1")]
    [InlineData("semi-sync", "db2")]
    public async Task MariadbdDefaults_RenderedMyCnf_IsAcceptedWithEveryVariableKnown(string variant, string node)
    {
        // mariadbd --help --verbose exits non-zero on an unknown variable, so this proves every name is MariaDB's.
        var mariadbd = Prerequisite.RequireExecutable("mariadbd");
        var path = Write("my.cnf", MyCnfRenderer.Render(Topologies.Variant(variant), node));

        var (exitCode, output) = await Tool.RunAsync(mariadbd, $"--defaults-file={path}", "--help", "--verbose");

        Assert.True(exitCode == 0, $"mariadbd rejected the file ({exitCode}):\n{string.Join('\n', output.Split('\n').Where(l => l.Contains("[ERROR]")))}");
        var expectedId = MyCnfRenderer.ServerIds(Topologies.Variant(variant).Database)[node];
        Assert.Matches($@"(?m)^server-id\s+{expectedId}\s*$", output);
    }

    [Fact]
    public async Task MyPrintDefaults_MySqlFlavorMyCnf_Parses()
    {
        // MySQL 8 names are unknown to mariadbd; this only proves the file's syntax.
        var printDefaults = Prerequisite.RequireExecutable("my_print_defaults");
        var path = Write("my.cnf", MyCnfRenderer.Render(Topologies.Variant("mysql-semi-sync"), "db2"));

        var (exitCode, output) = await Tool.RunAsync(printDefaults, $"--defaults-file={path}", "mysqld");

        Assert.Equal(0, exitCode);
        Assert.Contains("--gtid_mode=ON", output);
        Assert.Contains($"--server_id={MyCnfRenderer.ServerId("db2")}", output);
        Assert.Contains("--plugin_load_add=semisync_source.so", output);
    }

    private HaproxyRenderOptions TempOptions() => new() { AdminSocketPath = Path.Combine(_dir.FullName, "admin.sock") };

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }
}
