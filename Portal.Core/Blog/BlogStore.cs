using System.Data.Common;
using MySqlConnector;

namespace HaPortal.Core.Blog;

/// <summary>
/// The demo blog's data access: plain parameterized SQL. Every read also reports the server that answered it,
/// selected in the same batch on the same connection, because through a router a second connection may land
/// elsewhere. Singleton; each call opens a pooled connection and honours its cancellation token.
/// </summary>
public interface IBlogStore
{
    Task<Answered<PostPage>> ListAsync(int page, int pageSize, string? search, ReadPreference preference, CancellationToken ct);
    Task<Answered<Post>?> GetAsync(long id, ReadPreference preference, CancellationToken ct);
    Task<WriteReceipt> AddPostAsync(NewPost post, CancellationToken ct);
    /// <summary>Adds a comment; null when the post does not exist.</summary>
    Task<WriteReceipt?> AddCommentAsync(NewComment comment, CancellationToken ct);
    /// <summary>SELECT 1 on the app endpoint, for /health; no retries.</summary>
    Task PingAsync(CancellationToken ct);
}

public sealed class BlogStore(BlogConnections connections, TransientRetry retry, TimeProvider time) : IBlogStore
{
    private const string WhoAnswers = "SELECT @@hostname, @@server_id, @@read_only";

    public Task<Answered<PostPage>> ListAsync(int page, int pageSize, string? search, ReadPreference preference, CancellationToken ct)
    {
        page = Math.Max(1, page);
        search = string.IsNullOrWhiteSpace(search) ? null : search.Trim();
        var where = search is null ? "" : "WHERE p.title LIKE @q OR p.body LIKE @q";
        var sql = $"""
            {WhoAnswers};
            SELECT COUNT(*) FROM posts p {where};
            SELECT p.id, p.title, LEFT(p.body, 280), p.author, p.created_at,
                   (SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id)
            FROM posts p {where}
            ORDER BY p.id DESC LIMIT @limit OFFSET @offset;
            """;
        return retry.ExecuteAsync("list posts", async token =>
        {
            var route = connections.ForRead(preference);
            await using var connection = await OpenAsync(route.ConnectionString, token).ConfigureAwait(false);
            await using var command = new MySqlCommand(route.Sql(sql), connection);
            if (search is not null) command.Parameters.AddWithValue("@q", "%" + EscapeLike(search) + "%");
            command.Parameters.AddWithValue("@limit", pageSize);
            command.Parameters.AddWithValue("@offset", (long)(page - 1) * pageSize);
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            var server = await ReadServerAsync(reader, token).ConfigureAwait(false);
            await reader.NextResultAsync(token).ConfigureAwait(false);
            await reader.ReadAsync(token).ConfigureAwait(false);
            var total = reader.GetInt64(0);
            await reader.NextResultAsync(token).ConfigureAwait(false);
            var posts = new List<PostSummary>(pageSize);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
                posts.Add(new(reader.GetInt64(0), reader.GetString(1), Excerpt(reader.GetString(2)), reader.GetString(3),
                    reader.GetDateTime(4), reader.GetInt32(5)));
            return new Answered<PostPage>(new PostPage(posts, page, pageSize, total, search), server);
        }, ct);
    }

    public Task<Answered<Post>?> GetAsync(long id, ReadPreference preference, CancellationToken ct)
    {
        const string sql = $"""
            {WhoAnswers};
            SELECT id, title, body, author, created_at FROM posts WHERE id = @id;
            SELECT id, post_id, author, body, created_at FROM comments WHERE post_id = @id ORDER BY id;
            """;
        return retry.ExecuteAsync<Answered<Post>?>("read post", async token =>
        {
            var route = connections.ForRead(preference);
            await using var connection = await OpenAsync(route.ConnectionString, token).ConfigureAwait(false);
            await using var command = new MySqlCommand(route.Sql(sql), connection);
            command.Parameters.AddWithValue("@id", id);
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            var server = await ReadServerAsync(reader, token).ConfigureAwait(false);
            await reader.NextResultAsync(token).ConfigureAwait(false);
            if (!await reader.ReadAsync(token).ConfigureAwait(false)) return null;
            var (title, body, author, at) = (reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetDateTime(4));
            await reader.NextResultAsync(token).ConfigureAwait(false);
            var comments = new List<Comment>();
            while (await reader.ReadAsync(token).ConfigureAwait(false))
                comments.Add(new(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetDateTime(4)));
            return new Answered<Post>(new Post(id, title, body, author, at, comments), server);
        }, ct);
    }

    public async Task<WriteReceipt> AddPostAsync(NewPost post, CancellationToken ct)
    {
        var (id, writtenOn) = await WriteAsync("add post",
            "INSERT INTO posts (title, body, author, created_at) VALUES (@title, @body, @author, @at)",
            c =>
            {
                c.Parameters.AddWithValue("@title", post.Title.Trim());
                c.Parameters.AddWithValue("@body", post.Body.Trim());
                c.Parameters.AddWithValue("@author", post.Author.Trim());
            }, ct).ConfigureAwait(false);
        var (readFrom, visible) = await CheckVisibleAsync("posts", id, ct).ConfigureAwait(false);
        return new WriteReceipt(WriteKind.Post, id, id, writtenOn, readFrom, visible, time.GetUtcNow());
    }

    public async Task<WriteReceipt?> AddCommentAsync(NewComment comment, CancellationToken ct)
    {
        try
        {
            var (id, writtenOn) = await WriteAsync("add comment",
                "INSERT INTO comments (post_id, author, body, created_at) VALUES (@post, @author, @body, @at)",
                c =>
                {
                    c.Parameters.AddWithValue("@post", comment.PostId);
                    c.Parameters.AddWithValue("@author", comment.Author.Trim());
                    c.Parameters.AddWithValue("@body", comment.Body.Trim());
                }, ct).ConfigureAwait(false);
            var (readFrom, visible) = await CheckVisibleAsync("comments", id, ct).ConfigureAwait(false);
            return new WriteReceipt(WriteKind.Comment, id, comment.PostId, writtenOn, readFrom, visible, time.GetUtcNow());
        }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.NoReferencedRow2)
        {
            return null;
        }
    }

    public async Task PingAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(connections.Write, ct).ConfigureAwait(false);
        await using var command = new MySqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    // The INSERT and the provenance SELECT share one explicit transaction: a router keeps a transaction on the
    // writer, where a lone SELECT could be sent to a replica and report the wrong server.
    private Task<(long Id, DbServer WrittenOn)> WriteAsync(string operation, string insertSql, Action<MySqlCommand> bind, CancellationToken ct) =>
        retry.ExecuteAsync(operation, async token =>
        {
            await using var connection = await OpenAsync(connections.Write, token).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
            await using var insert = new MySqlCommand(insertSql, connection, tx);
            bind(insert);
            insert.Parameters.AddWithValue("@at", time.GetUtcNow().UtcDateTime);
            await insert.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            var id = insert.LastInsertedId;
            await using var who = new MySqlCommand(WhoAnswers, connection, tx);
            DbServer server;
            await using (var reader = await who.ExecuteReaderAsync(token).ConfigureAwait(false))
                server = await ReadServerAsync(reader, token).ConfigureAwait(false);
            await TransientRetry.CommitOnceAsync(tx.CommitAsync, token).ConfigureAwait(false);
            return (id, server);
        }, ct);

    private Task<(DbServer ReadFrom, bool Visible)> CheckVisibleAsync(string table, long id, CancellationToken ct) =>
        retry.ExecuteAsync("check visibility", async token =>
        {
            await using var connection = await OpenAsync(connections.ForRead(ReadPreference.Any).ConnectionString, token).ConfigureAwait(false);
            // table is one of two constants chosen above, never user input.
            await using var command = new MySqlCommand($"SELECT @@hostname, @@server_id, @@read_only, EXISTS(SELECT 1 FROM {table} WHERE id = @id)", connection);
            command.Parameters.AddWithValue("@id", id);
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            await reader.ReadAsync(token).ConfigureAwait(false);
            return (ServerFrom(reader), reader.GetInt64(3) == 1);
        }, ct);

    private static async Task<MySqlConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        var connection = new MySqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<DbServer> ReadServerAsync(DbDataReader reader, CancellationToken ct)
    {
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            throw new InvalidOperationException("The server did not report @@hostname/@@server_id.");
        return ServerFrom(reader);
    }

    private static DbServer ServerFrom(DbDataReader reader) =>
        new(reader.GetString(0), Convert.ToInt64(reader.GetValue(1)), Convert.ToInt64(reader.GetValue(2)) != 0);

    private static string Excerpt(string start)
    {
        var text = start.ReplaceLineEndings(" ").Trim();
        if (text.Length < 280) return text;
        var cut = text.LastIndexOf(' ', Math.Min(text.Length - 1, 240));
        return (cut > 100 ? text[..cut] : text[..240]) + " …";
    }

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
