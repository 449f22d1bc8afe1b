namespace HaPortal.WebNode;

/// <summary>What the session inspector shows about one request.</summary>
public sealed record SessionSnapshot(
    string NodeName,
    string NodeAddress,
    int Visits,
    DateTimeOffset FirstSeen,
    string SessionId,
    string RemoteAddress,
    string? ForwardedFor,
    IReadOnlyList<KeyValuePair<string, string>> Cookies,
    IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public const string LoadBalancerCookie = "SERVERID";

    public string? ServerIdCookie => Cookies.FirstOrDefault(c => c.Key == LoadBalancerCookie).Value;

    /// <summary>One sentence on why the same node keeps answering.</summary>
    public string WhySticky =>
        ServerIdCookie is { } server
            ? $"Your browser sent the load balancer's {LoadBalancerCookie} cookie ({server}), so HAProxy keeps sending you to the same web node, {NodeName}, where this session and its visit counter live in memory."
            : ForwardedFor is not null
                ? $"You came through a load balancer (X-Forwarded-For is set); HAProxy's {LoadBalancerCookie} cookie, inserted in \"indirect\" mode, is removed before the request reaches {NodeName}, but your browser holds it and HAProxy routes you by it, which is why the same node keeps answering and your visit counter keeps counting."
                : $"You reached {NodeName} directly, not through the load balancer, so no {LoadBalancerCookie} cookie is involved: the {VisitorSession.CookieName} cookie alone finds your session on this node.";

    public static SessionSnapshot From(HttpContext context, string nodeName, int visits, DateTimeOffset firstSeen)
    {
        var request = context.Request;
        var cookies = request.Cookies
            .Select(c => KeyValuePair.Create(c.Key, IsSecret(c.Key) ? Abbreviate(c.Value) : c.Value))
            .OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        var headers = request.Headers
            .Where(h => !h.Key.Equals("Cookie", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            .Select(h => KeyValuePair.Create(h.Key, h.Value.ToString()))
            .OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase).ToList();
        var remote = context.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : "unknown";
        return new SessionSnapshot(nodeName, NodeIdentity.AddressOf(context), visits, firstSeen, Abbreviate(context.Session.Id),
            remote, request.Headers["X-Forwarded-For"] is { Count: > 0 } xff ? xff.ToString() : null, cookies, headers);
    }

    // Session and antiforgery cookies are bearer tokens: show enough to recognise them, not enough to reuse them.
    private static bool IsSecret(string name) =>
        name is VisitorSession.CookieName or VisitorSession.AntiforgeryCookieName || name.StartsWith(".AspNetCore.", StringComparison.Ordinal);

    private static string Abbreviate(string value) => value.Length <= 10 ? value : value[..10] + "…";
}
