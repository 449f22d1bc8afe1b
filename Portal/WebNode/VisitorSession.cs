using System.Text.Json;
using HaPortal.Core.Blog;

namespace HaPortal.WebNode;

/// <summary>The visitor's server-side session (in this node's memory): visit counter, first visit, last write.</summary>
public static class VisitorSession
{
    public const string CookieName = "HAPORTAL_SESSION";
    public const string AntiforgeryCookieName = "HAPORTAL_AF";
    private const string VisitsKey = "visits";
    private const string FirstSeenKey = "firstSeen";
    private const string LastWriteKey = "lastWrite";

    public static async Task<WriteReceipt?> LastWriteAsync(HttpContext context)
    {
        // Without a session cookie there is nothing to load: keep anonymous page views free of session work.
        if (!context.Request.Cookies.ContainsKey(CookieName)) return null;
        await context.Session.LoadAsync(context.RequestAborted);
        var json = context.Session.GetString(LastWriteKey);
        return json is null ? null : JsonSerializer.Deserialize<WriteReceipt>(json);
    }

    public static async Task RememberWriteAsync(HttpContext context, WriteReceipt receipt)
    {
        await context.Session.LoadAsync(context.RequestAborted);
        context.Session.SetString(LastWriteKey, JsonSerializer.Serialize(receipt));
        await context.Session.CommitAsync(context.RequestAborted);
    }

    /// <summary>Counts this visit; returns the count including it and the time of the first visit.</summary>
    public static async Task<(int Visits, DateTimeOffset FirstSeen)> CountVisitAsync(HttpContext context, TimeProvider time)
    {
        await context.Session.LoadAsync(context.RequestAborted);
        var visits = (context.Session.GetInt32(VisitsKey) ?? 0) + 1;
        context.Session.SetInt32(VisitsKey, visits);
        var firstSeen = context.Session.GetString(FirstSeenKey) is { } s ? DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : time.GetUtcNow();
        if (visits == 1) context.Session.SetString(FirstSeenKey, firstSeen.ToString("O"));
        await context.Session.CommitAsync(context.RequestAborted);
        return (visits, firstSeen);
    }
}
