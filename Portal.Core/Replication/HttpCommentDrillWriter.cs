using System.Net;
using System.Text.RegularExpressions;
using MySqlConnector;

namespace HaPortal.Core.Replication;

/// <summary>
/// A drill's writes as a visitor makes them: a comment posted through the load balancer's published port, by the demo
/// site's real form (sticky cookie, antiforgery token). A write is acknowledged when the site answers with its redirect
/// to the comment; the web node's own retries and connection handling are part of what the drill measures. Rows are
/// counted in <c>comments</c> on the new primary, by the body that carries the run and the write's id.
/// </summary>
public sealed partial class HttpCommentDrillWriter(Uri loadBalancer, Func<DbEndpoint, string> countConnectionString, string schema) : IDrillWriter, IDisposable
{
    public const string Author = "haportal-drill";

    // A request outlives the web node's retry budget (6 s), so a slow failover shows as a late answer, not a timeout.
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseCookies = true, CookieContainer = new CookieContainer(), AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1),
    }) { BaseAddress = loadBalancer, Timeout = TimeSpan.FromSeconds(15) };

    private string? _postId;
    private KeyValuePair<string, string> _token;

    public async Task PrepareAsync(CancellationToken ct)
    {
        var home = await _http.GetStringAsync("/", ct).ConfigureAwait(false);
        _postId = PostLink().Match(home) is { Success: true } m ? m.Groups[1].Value
            : throw new InvalidOperationException($"the front page at {loadBalancer} links to no post to comment on");
        var page = await _http.GetStringAsync($"/posts/{_postId}", ct).ConfigureAwait(false);
        var token = HiddenField().Match(page);
        if (!token.Success) throw new InvalidOperationException($"post {_postId} at {loadBalancer} shows no comment form");
        _token = new(token.Groups[1].Value, token.Groups[2].Value);
    }

    public static string Body(string run, long id) => $"drill {run} {id}";

    public async Task WriteAsync(string run, long id, CancellationToken ct)
    {
        // After a refused write the form is fetched again: while every web node was marked down the load balancer may have
        // pinned the client to another node, which rejects the first node's antiforgery token (400) as a browser's would be.
        if (_stale) await PrepareAsync(ct).ConfigureAwait(false);
        _stale = true;
        using var form = new FormUrlEncodedContent([_token, new("author", Author), new("body", Body(run, id))]);
        using var response = await _http.PostAsync($"/posts/{_postId}/comments", form, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new HttpRequestException($"comment {id}: HTTP {(int)response.StatusCode}", null, response.StatusCode);
        _stale = false;
    }

    private bool _stale;

    public async Task<IReadOnlyDictionary<long, int>> RowsAsync(DbEndpoint primary, string run, CancellationToken ct)
    {
        await using var c = new MySqlConnection(countConnectionString(primary));
        await c.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = new MySqlCommand($"SELECT body, COUNT(*) FROM `{schema}`.comments WHERE author = @author AND body LIKE @run GROUP BY body", c);
        cmd.Parameters.AddWithValue("@author", Author);
        cmd.Parameters.AddWithValue("@run", $"drill {run} %");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new Dictionary<long, int>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            if (long.TryParse(r.GetString(0).Split(' ')[^1], out var id)) rows[id] = Convert.ToInt32(r.GetValue(1));
        return rows;
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("href=\"/posts/(\\d+)\"")]
    private static partial Regex PostLink();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\"")]
    private static partial Regex HiddenField();
}
