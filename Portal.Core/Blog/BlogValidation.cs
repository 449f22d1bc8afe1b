using System.Globalization;

namespace HaPortal.Core.Blog;

/// <summary>One problem with a submitted form, naming its field.</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>Length and presence rules for posts and comments; every problem is reported at once.</summary>
public static class BlogValidation
{
    public const int TitleMax = 200;
    public const int BodyMax = 20_000;
    public const int CommentMax = 2_000;
    public const int AuthorMax = 60;

    public static IReadOnlyList<FieldError> Validate(NewPost post)
    {
        var errors = new List<FieldError>();
        Check(errors, "title", "Title", post.Title, TitleMax);
        Check(errors, "author", "Name", post.Author, AuthorMax);
        Check(errors, "body", "Text", post.Body, BodyMax);
        return errors;
    }

    public static IReadOnlyList<FieldError> Validate(NewComment comment)
    {
        var errors = new List<FieldError>();
        Check(errors, "author", "Name", comment.Author, AuthorMax);
        Check(errors, "body", "Comment", comment.Body, CommentMax);
        return errors;
    }

    private static void Check(List<FieldError> errors, string field, string label, string? value, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
            errors.Add(new(field, $"{label} is required."));
        else if (value.Length > max)
            errors.Add(new(field, string.Create(CultureInfo.InvariantCulture, $"{label} is {value.Length:N0} characters long; the limit is {max:N0}.")));
    }
}
