using HaPortal.Core.Blog;
using HaPortal.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;

namespace HaPortal.Tests.WebNode;

/// <summary>The blog's data access against a real MariaDB primary and a replica replicating from it with GTIDs.</summary>
[Collection(WebNodeCollection.Name)]
public sealed class BlogStoreTests(MariaDbPairFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Setup(MariaDbCluster Cluster, string Schema, BlogConnections Connections, BlogStore Store);

    // A fresh schema per test, created on the primary and replicated, seeded through the app's own code.
    private async Task<Setup> SetUpAsync()
    {
        var cluster = await fixture.GetAsync();
        var schema = MariaDbCluster.NewSchemaName();
        var connections = new BlogConnections(
            MariaDbCluster.AppConnectionString(cluster.Primary, schema),
            MariaDbCluster.AppConnectionString(cluster.Replicas[0], schema));
        await cluster.Primary.ExecuteAsync($"CREATE DATABASE `{schema}`", Ct);
        await BlogSchema.EnsureAsync(connections.Write, TimeProvider.System, Ct);
        await cluster.WaitForReplicaAsync(cluster.Replicas[0], ct: Ct);
        return new Setup(cluster, schema, connections, new BlogStore(connections, Retry(), TimeProvider.System));
    }

    private static TransientRetry Retry(TimeSpan? budget = null) =>
        new(TimeProvider.System, NullLogger<TransientRetry>.Instance) { Budget = budget ?? TimeSpan.FromSeconds(6), FirstDelay = TimeSpan.FromMilliseconds(50) };

    [Fact]
    public async Task List_ThroughReplica_ReportsTheReplicaAsReadOnly()
    {
        var s = await SetUpAsync();

        var answered = await s.Store.ListAsync(1, 10, null, ReadPreference.Any, Ct);

        Assert.Equal(s.Cluster.Replicas[0].ServerId, answered.Server.ServerId);
        Assert.True(answered.Server.ReadOnly);
        Assert.Equal(BlogSchema.SeedPosts.Count, answered.Value.Posts.Count);
        Assert.Equal(BlogSchema.SeedPosts[^1].Title, answered.Value.Posts[0].Title); // newest first
    }

    [Fact]
    public async Task List_WithPrimaryPreference_ReadsFromTheWritablePrimary()
    {
        var s = await SetUpAsync();

        var answered = await s.Store.ListAsync(1, 10, null, ReadPreference.Primary, Ct);

        Assert.Equal(s.Cluster.Primary.ServerId, answered.Server.ServerId);
        Assert.False(answered.Server.ReadOnly);
    }

    [Fact]
    public async Task AddComment_LandsOnThePrimary_AndAppearsOnTheReplica()
    {
        var s = await SetUpAsync();
        var post = (await s.Store.ListAsync(1, 10, null, ReadPreference.Any, Ct)).Value.Posts[0];

        var receipt = await s.Store.AddCommentAsync(new NewComment(post.Id, "Ada", "Nice post"), Ct);

        Assert.NotNull(receipt);
        Assert.Equal(s.Cluster.Primary.ServerId, receipt.WrittenOn.ServerId);
        Assert.False(receipt.WrittenOn.ReadOnly);
        Assert.Equal(s.Cluster.Replicas[0].ServerId, receipt.ReadFrom.ServerId);
        await s.Cluster.WaitForReplicaAsync(s.Cluster.Replicas[0], ct: Ct);
        var read = await s.Store.GetAsync(post.Id, ReadPreference.Any, Ct);
        Assert.NotNull(read);
        Assert.Equal(s.Cluster.Replicas[0].ServerId, read.Server.ServerId);
        var comment = Assert.Single(read.Value.Comments);
        Assert.Equal((receipt.Id, "Ada", "Nice post"), (comment.Id, comment.Author, comment.Body));
    }

    [Fact]
    public async Task AddPost_ThenRead_ShowsItFirstWithItsProvenance()
    {
        var s = await SetUpAsync();

        var receipt = await s.Store.AddPostAsync(new NewPost("Fresh", "Body text", "Grace"), Ct);
        await s.Cluster.WaitForReplicaAsync(s.Cluster.Replicas[0], ct: Ct);
        var list = await s.Store.ListAsync(1, 2, null, ReadPreference.Any, Ct);

        Assert.Equal(s.Cluster.Primary.ServerId, receipt.WrittenOn.ServerId);
        Assert.Equal(receipt.Id, list.Value.Posts[0].Id);
        Assert.Equal(4, list.Value.Total);
        Assert.Equal(2, list.Value.PageCount);
    }

    [Fact]
    public async Task AddComment_ToAMissingPost_ReturnsNull()
    {
        var s = await SetUpAsync();

        Assert.Null(await s.Store.AddCommentAsync(new NewComment(999_999, "Ada", "Hello"), Ct));
    }

    [Fact]
    public async Task Search_TreatsWildcardsAsText()
    {
        var s = await SetUpAsync();
        await s.Store.AddPostAsync(new NewPost("100% uptime", "Really.", "Ada"), Ct);

        var percent = await s.Store.ListAsync(1, 10, "100%", ReadPreference.Primary, Ct);
        var sticky = await s.Store.ListAsync(1, 10, "sticky", ReadPreference.Primary, Ct);
        var underscore = await s.Store.ListAsync(1, 10, "_", ReadPreference.Primary, Ct);

        Assert.Equal("100% uptime", Assert.Single(percent.Value.Posts).Title);
        Assert.Equal("Sticky sessions, explained", Assert.Single(sticky.Value.Posts).Title);
        Assert.Empty(underscore.Value.Posts);
    }

    [Fact]
    public async Task EnsureSchema_FromManyNodesAtOnce_CreatesTablesAndSeedsOnce()
    {
        var cluster = await fixture.GetAsync();
        var schema = MariaDbCluster.NewSchemaName();
        await cluster.Primary.ExecuteAsync($"CREATE DATABASE `{schema}`", Ct);
        var write = new BlogConnections(MariaDbCluster.AppConnectionString(cluster.Primary, schema)).Write;

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => BlogSchema.EnsureAsync(write, TimeProvider.System, Ct), Ct)));
        var again = await BlogSchema.EnsureAsync(write, TimeProvider.System, Ct);

        Assert.Equal(1, results.Count(seeded => seeded));
        Assert.False(again);
        var count = await cluster.Primary.ScalarAsync($"SELECT COUNT(*) FROM `{schema}`.posts", Ct);
        Assert.Equal(BlogSchema.SeedPosts.Count, Convert.ToInt32(count));
    }

    [Fact]
    public async Task Write_ToAReadOnlyServer_IsRetriedThenReportedAsUnavailable()
    {
        var s = await SetUpAsync();
        // A "primary" that has gone read-only, as during a switchover: the write endpoint points at the replica.
        var connections = new BlogConnections(MariaDbCluster.AppConnectionString(s.Cluster.Replicas[0], s.Schema));
        var store = new BlogStore(connections, Retry(TimeSpan.FromMilliseconds(300)), TimeProvider.System);

        var e = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => store.AddPostAsync(new NewPost("t", "b", "a"), Ct));

        Assert.Contains("read-only", e.Reason);
        Assert.Equal(1290, Assert.IsType<MySqlException>(e.InnerException).Number);
    }
}
