using HaPortal.Core.Rendering;
using HaPortal.Core.Topology;

namespace HaPortal.Tests.Rendering;

public class HaproxyRendererTests
{
    private static string[] Lines(TopologySpec spec, HaproxyRenderOptions? options = null) =>
        HaproxyRenderer.Render(spec, options).Split('\n').Select(l => l.Trim()).ToArray();

    [Fact]
    public void Render_StickySessions_InsertsCookieOnEachServer()
    {
        var lines = Lines(Topologies.Seed);

        Assert.Contains("cookie SERVERID insert indirect nocache", lines);
        Assert.Contains("server web1 web1:8080 check weight 100 cookie web1", lines);
        Assert.Contains("server web2 web2:8080 check weight 100 cookie web2", lines);
    }

    [Fact]
    public void Render_StickySessionsOff_HasNoCookieAnywhere()
    {
        var text = HaproxyRenderer.Render(Topologies.Variant("sticky-off"));

        Assert.DoesNotContain("cookie", text);
        Assert.Contains("server web1 web1:8080 check weight 100\n", text);
    }

    [Theory]
    [InlineData("seed", "cookie SERVERID insert indirect nocache")]
    [InlineData("sticky-rewrite", "cookie SERVERID rewrite")]
    [InlineData("sticky-prefix", "cookie JSESSIONID prefix nocache")]
    public void Render_StickyMode_UsesHaproxySpelling(string variant, string expected) =>
        Assert.Contains(expected, Lines(Topologies.Variant(variant)));

    [Fact]
    public void Render_NodeStates_DrainStartsAtWeightZero_MaintStartsDisabled_AndTheExpectedStatusIsChecked()
    {
        var lines = Lines(Topologies.Variant("node-states"));

        Assert.Contains("server web1 web1:8080 check weight 100 cookie web1", lines);
        Assert.Contains("server web2 web2:8080 check weight 0 cookie web2", lines);
        Assert.Contains("server web3 web3:8080 check weight 100 disabled cookie web3", lines);
        Assert.Contains("http-check expect status 204", lines);
    }

    [Fact]
    public void Render_StickyOptions_OnlyTheChosenOnesAreWritten() =>
        Assert.Contains("cookie SERVERID insert nocache",
            Lines(Topologies.Seed with { LoadBalancer = Topologies.Seed.LoadBalancer with { StickySessions = Topologies.Seed.LoadBalancer.StickySessions with { Indirect = false } } }));

    [Theory]
    [InlineData("seed", "balance roundrobin")]
    [InlineData("leastconn", "balance leastconn")]
    [InlineData("source", "balance source")]
    public void Render_Balance_SetsTheBackendAlgorithm(string variant, string expected) =>
        Assert.Contains(expected, Lines(Topologies.Variant(variant)));

    [Theory]
    [InlineData("seed", 2)]
    [InlineData("five-web-nodes", 5)]
    [InlineData("weights", 3)]
    public void Render_WebNodes_OneServerLinePerNode(string variant, int servers)
    {
        var spec = Topologies.Variant(variant);

        var serverLines = Lines(spec).Where(l => l.StartsWith("server ", StringComparison.Ordinal)).ToList();

        Assert.Equal(servers, serverLines.Count);
        Assert.Equal(spec.Web.Nodes.Select(n => $"{n.Name} {n.Name}:{StackPorts.WebNode}"), serverLines.Select(l => string.Join(' ', l.Split(' ')[1..3])));
    }

    [Fact]
    public void Render_Weights_CarriesEachNodesWeightIncludingZero()
    {
        var lines = Lines(Topologies.Variant("weights"));

        Assert.Contains("server web1 web1:8080 check weight 200 cookie web1", lines);
        Assert.Contains("server web2 web2:8080 check weight 50 cookie web2", lines);
        Assert.Contains("server web3 web3:8080 check weight 0 cookie web3", lines);
    }

    [Fact]
    public void Render_HealthCheck_UsesPathIntervalRiseAndFall()
    {
        var spec = Topologies.Seed with
        {
            LoadBalancer = Topologies.Seed.LoadBalancer with { HealthCheck = new HealthCheckSpec { Path = "/ready", IntervalMs = 1500, Rise = 4, Fall = 5 } },
        };

        var lines = Lines(spec);

        Assert.Contains("option httpchk GET /ready", lines);
        Assert.Contains("http-check expect status 200", lines);
        Assert.Contains(lines, l => l.StartsWith("default-server inter 1500ms fastinter 375ms rise 4 fall 5 init-addr last,libc,none", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(2000, 500)]
    [InlineData(1000, 250)]
    [InlineData(300, 100)]
    [InlineData(100, 100)]
    public void FastInterval_IsAQuarterOfTheInterval_NotBelow100Ms_NorAboveTheInterval(int interval, int fast) =>
        Assert.Equal(fast, HaproxyRenderer.FastInterval(interval));

    [Fact]
    public void Render_Stats_ListensOnStatsPortWithRefresh()
    {
        var text = HaproxyRenderer.Render(Topologies.Seed);

        Assert.Contains("listen stats\n    bind *:8404\n    stats enable\n    stats uri /stats\n    stats refresh 5s\n", text);
    }

    [Fact]
    public void Render_StatsOff_HasNoStatsListener()
    {
        var text = HaproxyRenderer.Render(Topologies.Variant("stats-off"));

        Assert.DoesNotContain("listen stats", text);
        Assert.DoesNotContain("stats enable", text);
    }

    [Fact]
    public void Render_Frontend_BindsThePublishedPortInTheContainer()
    {
        var spec = Topologies.Seed with { LoadBalancer = Topologies.Seed.LoadBalancer with { PublishPort = 18080 } };

        Assert.Contains("frontend http-in\n    bind *:18080\n    default_backend web\n", HaproxyRenderer.Render(spec));
    }

    [Fact]
    public void Render_Global_HasMasterWorkerAndBothRuntimeSockets()
    {
        var lines = Lines(Topologies.Seed, new HaproxyRenderOptions { AdminSocketPath = "/tmp/x/admin.sock", AdminTcpAddress = "127.0.0.1:19999" });

        Assert.Contains("master-worker", lines);
        Assert.Contains("stats socket /tmp/x/admin.sock mode 660 level admin expose-fd listeners", lines);
        Assert.Contains("stats socket ipv4@127.0.0.1:19999 level admin", lines);
    }

    [Fact]
    public void Render_Defaults_LogHttpAndForwardClientAddress()
    {
        var lines = Lines(Topologies.Seed);

        Assert.Contains("mode http", lines);
        Assert.Contains("option httplog", lines);
        Assert.Contains("option forwardfor", lines);
        Assert.Contains("option redispatch", lines);
    }

    [Fact]
    public void Render_DockerDns_ResolvesServersAtRunTime()
    {
        var text = HaproxyRenderer.Render(Topologies.Seed);

        Assert.Contains("resolvers docker\n    nameserver dns1 127.0.0.11:53\n", text);
        Assert.Contains("init-addr last,libc,none resolvers docker", text);
    }

    [Fact]
    public void Render_WithoutNameserver_HasNoResolversButStillStartsUnresolved()
    {
        var text = HaproxyRenderer.Render(Topologies.Seed, new HaproxyRenderOptions { Nameserver = null });

        Assert.DoesNotContain("resolvers", text);
        Assert.Contains("init-addr last,libc,none\n", text);
    }

    [Fact]
    public void Render_SameSpec_GivesSameText() =>
        Assert.Equal(HaproxyRenderer.Render(Topologies.Variant("five-web-nodes")), HaproxyRenderer.Render(Topologies.Variant("five-web-nodes")));
}
