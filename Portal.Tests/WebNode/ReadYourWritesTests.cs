using HaPortal.Core.Blog;
using HaPortal.Core.Topology;
using Microsoft.Extensions.Time.Testing;

namespace HaPortal.Tests.WebNode;

/// <summary>The web node's side of read-your-writes: reads inside the window go to the writer, marked or by endpoint.</summary>
public class ReadYourWritesTests
{
    private const string Router = "Server=proxysql;Port=6033;User ID=app;Password=x;Database=blog";
    private const string Primary = "Server=db1;Port=3306;User ID=app;Password=x;Database=blog";
    private const string Replica = "Server=db2;Port=3306;User ID=app;Password=x;Database=blog";

    [Fact]
    public void Window_MarksReadsOnlyUntilItEnds()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        var ryw = new ReadYourWrites(time, TimeSpan.FromSeconds(5));
        var wroteAt = time.GetUtcNow();

        Assert.Equal(ReadPreference.Any, ryw.For(null));
        Assert.Equal(ReadPreference.Primary, ryw.For(wroteAt));
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(ReadPreference.Primary, ryw.For(wroteAt));
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(ReadPreference.Any, ryw.For(wroteAt));
    }

    [Fact]
    public void Window_Zero_NeverPrefersThePrimary()
    {
        var time = new FakeTimeProvider();
        Assert.Equal(ReadPreference.Any, new ReadYourWrites(time, TimeSpan.Zero).For(time.GetUtcNow()));
    }

    [Fact]
    public void ThroughRouter_PrimaryRead_CarriesTheMarkerTheRuleMatches()
    {
        var connections = new BlogConnections(Router);

        var marked = connections.ForRead(ReadPreference.Primary);
        var plain = connections.ForRead(ReadPreference.Any);

        Assert.Equal(ReadYourWritesRule.Marker + " SELECT 1", marked.Sql("SELECT 1"));
        Assert.Matches(ReadYourWritesRule.Pattern, marked.Sql("SELECT 1"));
        Assert.Equal("SELECT 1", plain.Sql("SELECT 1"));
        Assert.Equal(connections.Write, marked.ConnectionString);
    }

    [Fact]
    public void WithoutRouter_PrimaryRead_GoesToTheWriteEndpointUnmarked()
    {
        var connections = new BlogConnections(Primary, Replica);

        var primary = connections.ForRead(ReadPreference.Primary);
        var any = connections.ForRead(ReadPreference.Any);

        Assert.Equal(connections.Write, primary.ConnectionString);
        Assert.Equal("", primary.Prefix);
        Assert.Equal(connections.Read, any.ConnectionString);
        Assert.Contains("db2", any.ConnectionString, StringComparison.Ordinal);
    }
}
