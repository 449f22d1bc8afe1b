using HaPortal.Core.Rendering;

namespace HaPortal.Tests.Rendering;

public class KeepalivedRendererTests
{
    private static readonly StackSecrets Secrets = StackSecrets.Placeholders;

    [Theory]
    [InlineData("proxysql1", "priority 150")]
    [InlineData("proxysql2", "priority 140")]
    public void Render_TwoRouters_AllBackupWithDescendingPriorityAndNopreempt(string node, string priority)
    {
        var lines = KeepalivedRenderer.Render(Topologies.Variant("two-routers-vip"), node, Secrets).Split('\n').Select(l => l.Trim()).ToArray();

        Assert.Contains("state BACKUP", lines);
        Assert.Contains(priority, lines);
        Assert.Contains("nopreempt", lines);
        Assert.Contains("10.20.0.100", lines);
        Assert.Contains("auth_type PASS", lines);
        Assert.Contains("auth_pass CHANGEME", lines);
        Assert.Contains("interface eth0", lines);
        Assert.Contains("chk_proxysql", lines);
    }

    [Fact]
    public void Render_BothNodes_ShareOneVirtualRouterId()
    {
        var spec = Topologies.Variant("two-routers-vip");
        var id = $"virtual_router_id {KeepalivedRenderer.VirtualRouterId(spec.Name)}\n";

        Assert.Contains(id, KeepalivedRenderer.Render(spec, "proxysql1", Secrets));
        Assert.Contains(id, KeepalivedRenderer.Render(spec, "proxysql2", Secrets));
    }

    [Theory]
    [InlineData("seed-stack")]
    [InlineData("a")]
    [InlineData("shop-production-eu-west-1")]
    public void VirtualRouterId_IsStableAndInVrrpRange(string name)
    {
        var id = KeepalivedRenderer.VirtualRouterId(name);

        Assert.InRange(id, 1, 255);
        Assert.Equal(id, KeepalivedRenderer.VirtualRouterId(name));
    }

    [Fact]
    public void VirtualRouterId_SeedStack_IsPinned() =>
        // Pinned: changing the derivation would move every deployed stack's VRRP id.
        Assert.Equal(131, KeepalivedRenderer.VirtualRouterId("seed-stack"));

    [Fact]
    public void Render_InterfaceOption_IsUsed() =>
        Assert.Contains("interface ens5\n", KeepalivedRenderer.Render(Topologies.Variant("two-routers-vip"), "proxysql1", Secrets, new KeepalivedRenderOptions { Interface = "ens5" }));

    [Fact]
    public void Render_HealthScript_ConnectsToProxySqlClientPortWithBash() =>
        Assert.Contains("script \"/bin/bash -c '</dev/tcp/127.0.0.1/6033'\"", KeepalivedRenderer.Render(Topologies.Variant("two-routers-vip"), "proxysql1", Secrets));

    [Fact]
    public void Render_VrrpPasswordLongerThanEight_IsRefused() =>
        Assert.Throws<ArgumentException>(() => KeepalivedRenderer.Render(Topologies.Variant("two-routers-vip"), "proxysql1", Secrets with { VrrpPassword = "123456789" }));

    [Theory]
    [InlineData("seed")]
    [InlineData("no-router")]
    public void Nodes_WithoutVirtualIp_IsEmpty(string variant) =>
        Assert.Empty(KeepalivedRenderer.Nodes(Topologies.Variant(variant)));
}
