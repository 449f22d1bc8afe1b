namespace HaPortal.WebNode;

/// <summary>The antiforgery field a form must carry (name and value from IAntiforgery).</summary>
public sealed record FormToken(string FieldName, string Value);

/// <summary>The comment form as posted, shown again beside its errors.</summary>
public sealed class CommentForm
{
    public string? Author { get; set; }
    public string? Body { get; set; }
}

/// <summary>The post form as posted, shown again beside its errors.</summary>
public sealed class PostForm
{
    public string? Title { get; set; }
    public string? Author { get; set; }
    public string? Body { get; set; }
}
