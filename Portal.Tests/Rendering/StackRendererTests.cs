using HaPortal.Core.Rendering;
using HaPortal.Core.Topology;

namespace HaPortal.Tests.Rendering;

public class StackRendererTests
{
    [Theory]
    [MemberData(nameof(Topologies.Variants), MemberType = typeof(Topologies))]
    public void Variant_IsAValidTopology(string variant)
    {
        var report = TopologyValidator.Validate(Topologies.Variant(variant));

        Assert.True(report.IsValid, string.Join("\n", report.Errors));
    }

    [Fact]
    public void RenderAll_Seed_WritesOneFilePerComponent()
    {
        var files = StackRenderer.RenderAll(Topologies.Seed, StackSecrets.Placeholders);

        Assert.Equal(["haproxy/haproxy.cfg", "proxysql/proxysql1/proxysql.cnf", "proxysql/admin.sql", "mysql/db1/my.cnf", "mysql/db2/my.cnf"],
            files.Select(f => f.Path));
    }

    [Fact]
    public void RenderAll_TwoRoutersWithVip_AddsKeepalivedPerRouter()
    {
        var paths = StackRenderer.RenderAll(Topologies.Variant("two-routers-vip"), StackSecrets.Placeholders).Select(f => f.Path).ToList();

        Assert.Contains("proxysql/proxysql2/proxysql.cnf", paths);
        Assert.Contains("keepalived/proxysql1/keepalived.conf", paths);
        Assert.Contains("keepalived/proxysql2/keepalived.conf", paths);
        Assert.Contains("mysql/db3/my.cnf", paths);
    }

    [Fact]
    public void RenderAll_NoRouter_HasNoProxySqlOrKeepalivedFiles()
    {
        var paths = StackRenderer.RenderAll(Topologies.Variant("no-router"), StackSecrets.Placeholders).Select(f => f.Path).ToList();

        Assert.DoesNotContain(paths, p => p.StartsWith("proxysql/", StringComparison.Ordinal) || p.StartsWith("keepalived/", StringComparison.Ordinal));
        Assert.Contains("haproxy/haproxy.cfg", paths);
    }

    [Fact]
    public void RenderAll_GeneratedSecrets_AppearInTheFilesThatNeedThem()
    {
        var secrets = StackSecrets.Generate();

        var text = string.Concat(StackRenderer.RenderAll(Topologies.Variant("two-routers-vip"), secrets).Select(f => f.Content));

        Assert.Contains(secrets.AppPassword, text);
        Assert.Contains(secrets.MonitorPassword, text);
        Assert.Contains(secrets.ProxySqlAdminPassword, text);
        Assert.Contains($"auth_pass {secrets.VrrpPassword}\n", text);
        Assert.DoesNotContain("CHANGE-ME", text);
    }

    [Theory]
    [InlineData("seed")]
    [InlineData("two-routers-vip")]
    [InlineData("mysql-semi-sync")]
    [InlineData("no-router")]
    [InlineData("five-web-nodes")]
    public void RenderAll_MatchesSnapshot(string variant) =>
        Snapshot.Match(variant, StackRenderer.RenderAll(Topologies.Variant(variant), StackSecrets.Placeholders));
}

public class StackSecretsTests
{
    [Fact]
    public void Generate_GivesFreshPasswordsEachTime()
    {
        var a = StackSecrets.Generate();
        var b = StackSecrets.Generate();

        Assert.NotEqual(a.AppPassword, b.AppPassword);
        Assert.NotEqual(a.ProxySqlAdminPassword, b.ProxySqlAdminPassword);
        Assert.Equal(StackSecrets.VrrpPasswordLength, a.VrrpPassword.Length);
        Assert.True(a.AppPassword.Length >= 20);
        Assert.All(new[] { a.AppPassword, a.ReplicationPassword, a.MonitorPassword, a.ProxySqlAdminPassword, a.VrrpPassword },
            p => Assert.True(p.All(char.IsAsciiLetterOrDigit), "passwords are letters and digits only"));
    }

    [Fact]
    public void ToString_NeverShowsAPassword()
    {
        var secrets = StackSecrets.Generate();

        var text = secrets.ToString();

        foreach (var password in new[] { secrets.AppPassword, secrets.ReplicationPassword, secrets.MonitorPassword, secrets.ProxySqlAdminPassword, secrets.VrrpPassword })
            Assert.DoesNotContain(password, text);
        Assert.Contains("redacted", text);
    }

    [Fact]
    public void Placeholders_AreRecognisableAsPlaceholders()
    {
        var p = StackSecrets.Placeholders;

        Assert.All(new[] { p.AppPassword, p.ReplicationPassword, p.MonitorPassword, p.ProxySqlAdminPassword }, v => Assert.StartsWith("CHANGE-ME-", v));
        Assert.Equal("CHANGEME", p.VrrpPassword);
    }
}
