using System.Globalization;

namespace HaPortal.WebNode;

/// <summary>The demo site's URLs in one place, and small formatting helpers its pages share.</summary>
public static class DemoUrls
{
    public const string Home = "/";
    public const string Write = "/write";
    public const string Posts = "/posts";
    public const string Session = "/session";
    public const string WhoAmI = "/whoami";
    public const string Health = "/health";

    /// <summary>The demo pages' stylesheet and script (wwwroot/demo); the only static files a web node serves.</summary>
    public const string Assets = "/demo";

    public static string Post(long id) => $"/posts/{id}";
    public static string Comments(long postId) => $"/posts/{postId}/comments";

    public static string Page(int page, string? search)
    {
        var query = new List<string>();
        if (search is not null) query.Add("q=" + Uri.EscapeDataString(search));
        if (page > 1) query.Add("page=" + page.ToString(CultureInfo.InvariantCulture));
        return query.Count == 0 ? Home : Home + "?" + string.Join('&', query);
    }

    public static string Date(DateTime utc) => utc.ToString("d MMMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>Text split into paragraphs at blank lines; each is rendered (and so HTML-encoded) by Razor.</summary>
    public static IEnumerable<string> Paragraphs(string text) =>
        text.ReplaceLineEndings("\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
