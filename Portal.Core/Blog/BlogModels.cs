namespace HaPortal.Core.Blog;

/// <summary>The database server that answered a statement, as it reports itself.</summary>
public sealed record DbServer(string Hostname, long ServerId, bool ReadOnly)
{
    public string Role => ReadOnly ? "read-only" : "writable";
    public override string ToString() => $"{Hostname} (server_id {ServerId}, {Role})";
}

/// <summary>A value read from the database together with the server that answered the read.</summary>
public sealed record Answered<T>(T Value, DbServer Server);

public sealed record PostSummary(long Id, string Title, string Excerpt, string Author, DateTime CreatedAt, int CommentCount);

public sealed record PostPage(IReadOnlyList<PostSummary> Posts, int Page, int PageSize, long Total, string? Search)
{
    public int PageCount => Total == 0 ? 1 : (int)((Total + PageSize - 1) / PageSize);
    public bool HasPrevious => Page > 1;
    public bool HasNext => Page < PageCount;
}

public sealed record Comment(long Id, long PostId, string Author, string Body, DateTime CreatedAt);

public sealed record Post(long Id, string Title, string Body, string Author, DateTime CreatedAt, IReadOnlyList<Comment> Comments);

public enum WriteKind { Post, Comment }

/// <summary>
/// What a write did: where it landed, and whether the new row was already visible on the server that answered the
/// read right after it (replication lag made visible).
/// </summary>
public sealed record WriteReceipt(WriteKind Kind, long Id, long PostId, DbServer WrittenOn, DbServer ReadFrom, bool VisibleOnRead, DateTimeOffset At)
{
    public string Summary =>
        $"written on {WrittenOn.Hostname} (server_id {WrittenOn.ServerId}), read from {ReadFrom.Hostname} (server_id {ReadFrom.ServerId}), "
        + (VisibleOnRead ? "already there" : "not yet there");
}

/// <summary>Where a read should go. A seam for the router tier: Primary reads see your own writes.</summary>
public enum ReadPreference
{
    /// <summary>Any server; through ProxySQL usually a replica.</summary>
    Any,
    /// <summary>The writer: read-your-writes.</summary>
    Primary,
}

public sealed record NewPost(string Title, string Body, string Author);

public sealed record NewComment(long PostId, string Author, string Body);
