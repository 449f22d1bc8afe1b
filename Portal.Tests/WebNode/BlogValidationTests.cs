using HaPortal.Core.Blog;

namespace HaPortal.Tests.WebNode;

public sealed class BlogValidationTests
{
    [Theory]
    [InlineData("Title", "Body", "Ada", "")]
    [InlineData("", "Body", "Ada", "title")]
    [InlineData("Title", " ", "Ada", "body")]
    [InlineData("Title", "Body", "", "author")]
    [InlineData("", "", "", "title,author,body")]
    public void Validate_Post_ReportsEveryMissingField(string title, string body, string author, string fields)
    {
        var errors = BlogValidation.Validate(new NewPost(title, body, author));

        Assert.Equal(fields, string.Join(',', errors.Select(e => e.Field)));
    }

    [Fact]
    public void Validate_TooLongPost_NamesEachLimit()
    {
        var errors = BlogValidation.Validate(new NewPost(new string('t', 201), new string('b', 20_001), new string('a', 61)));

        Assert.Equal(["title", "author", "body"], errors.Select(e => e.Field));
        Assert.Contains("the limit is 200", errors[0].Message);
        Assert.Contains("the limit is 60", errors[1].Message);
        Assert.Contains("the limit is 20,000", errors[2].Message);
    }

    [Fact]
    public void Validate_CommentAtTheLimits_IsAccepted_OneOverIsNot()
    {
        Assert.Empty(BlogValidation.Validate(new NewComment(1, new string('a', 60), new string('c', 2_000))));

        var error = Assert.Single(BlogValidation.Validate(new NewComment(1, "Ada", new string('c', 2_001))));
        Assert.Equal("body", error.Field);
        Assert.Equal("Comment is 2,001 characters long; the limit is 2,000.", error.Message);
    }
}
