using Bunit;
using HaPortal.WebNode;
using HaPortal.WebNode.Pages;

namespace HaPortal.Tests.WebNode;

public sealed class SessionInspectorTests : BunitContext
{
    private static SessionSnapshot Snapshot(string? serverId = null, string? forwardedFor = null, int visits = 3)
    {
        var cookies = new List<KeyValuePair<string, string>> { new(VisitorSession.CookieName, "CfDJ8abcd…") };
        if (serverId is not null) cookies.Insert(0, new(SessionSnapshot.LoadBalancerCookie, serverId));
        return new SessionSnapshot("web1", "10.0.0.5:8080", visits, new DateTimeOffset(2026, 11, 28, 11, 0, 0, TimeSpan.Zero), "a1b2c3…",
            "10.0.0.2", forwardedFor, cookies,
            [new("Host", "stack.local:8080"), new("User-Agent", "<script>alert(1)</script>")]);
    }

    private IRenderedComponent<SessionInspector> RenderInspector(SessionSnapshot snapshot) =>
        Render<SessionInspector>(p => p.Add(x => x.Snapshot, snapshot));

    [Fact]
    public void Render_WithStickyCookie_ExplainsThatTheCookiePinsTheNode()
    {
        var inspector = RenderInspector(Snapshot(serverId: "web1", forwardedFor: "192.168.1.20"));

        Assert.Contains("SERVERID cookie (web1)", inspector.Find("[data-testid=why-sticky]").TextContent);
        Assert.Equal("web1", inspector.Find("[data-testid=serverid]").TextContent);
        Assert.Equal("192.168.1.20", inspector.Find("[data-testid=xff]").TextContent);
    }

    [Fact]
    public void Render_BehindBalancerWithoutCookieSeen_ExplainsIndirectMode()
    {
        var inspector = RenderInspector(Snapshot(forwardedFor: "192.168.1.20"));

        Assert.Contains("\"indirect\" mode", inspector.Find("[data-testid=why-sticky]").TextContent);
        Assert.Equal("no SERVERID sent", inspector.Find("[data-testid=serverid]").TextContent);
    }

    [Fact]
    public void Render_ShowsVisitsFirstSeenCookiesAndHeaders_Encoded()
    {
        var inspector = RenderInspector(Snapshot(visits: 7));

        Assert.Equal("7", inspector.Find("[data-testid=visits]").TextContent);
        Assert.Equal("2026-11-28 11:00:00 UTC", inspector.Find("[data-testid=first-seen]").TextContent);
        Assert.Contains(VisitorSession.CookieName, inspector.Find("[data-testid=cookies]").TextContent);
        Assert.Contains("directly", inspector.Find("[data-testid=why-sticky]").TextContent);
        // A hostile header is shown as text, never as markup.
        Assert.Empty(inspector.FindAll("[data-testid=headers] script"));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", inspector.Find("[data-testid=headers]").InnerHtml);
        Assert.NotNull(inspector.Find("#send-without[data-credentials=omit]"));
        Assert.NotNull(inspector.Find("#send-with[data-credentials=include]"));
    }
}
