using MySqlConnector;

namespace HaPortal.Core.Blog;

/// <summary>
/// Creates the blog tables when absent and seeds a few posts once. Safe when several web nodes start at the same
/// time: DDL is IF NOT EXISTS, and seeding is serialized by a named lock and a marker row in one transaction.
/// </summary>
public static class BlogSchema
{
    private const string Ddl = """
        CREATE TABLE IF NOT EXISTS posts (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          title VARCHAR(200) NOT NULL,
          body MEDIUMTEXT NOT NULL,
          author VARCHAR(60) NOT NULL,
          created_at DATETIME(6) NOT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
        CREATE TABLE IF NOT EXISTS comments (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          post_id BIGINT NOT NULL,
          author VARCHAR(60) NOT NULL,
          body TEXT NOT NULL,
          created_at DATETIME(6) NOT NULL,
          KEY ix_comments_post (post_id, id),
          CONSTRAINT fk_comments_post FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
        CREATE TABLE IF NOT EXISTS blog_meta (
          name VARCHAR(64) NOT NULL PRIMARY KEY,
          value VARCHAR(255) NOT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
        """;

    public static readonly IReadOnlyList<NewPost> SeedPosts =
    [
        new("Welcome to the HaPortal demo blog",
            "This blog runs on every web node of the stack. Refresh the page and watch the panel at the bottom: it names the web node that rendered the page and the database server that answered its reads.\n\nWrite a comment and the panel tells you where the write landed, and whether the replica that answered the next read had it already.",
            "HaPortal"),
        new("How reads and writes are split",
            "The web nodes talk to one database endpoint. In a full stack that is ProxySQL: SELECT statements go to the reader hostgroup (the replicas), everything else to the writer hostgroup (the primary). Replication copies each write to the replicas, usually within milliseconds.",
            "HaPortal"),
        new("Sticky sessions, explained",
            "HAProxy inserts a SERVERID cookie on the first answer. Your browser sends it back with every request, so HAProxy keeps sending you to the same web node, where your server-side session lives. Open the session inspector to see it happen, and to see what happens without the cookie.",
            "HaPortal"),
    ];

    /// <summary>Creates the tables if absent and seeds once; returns true when this call added the seed posts.</summary>
    public static async Task<bool> EnsureAsync(string writeConnectionString, TimeProvider time, CancellationToken ct)
    {
        await using var connection = new MySqlConnection(writeConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using (var ddl = new MySqlCommand(Ddl, connection))
            await ddl.ExecuteNonQueryAsync(ct).ConfigureAwait(false);

        await using (var lockCommand = new MySqlCommand("SELECT GET_LOCK('haportal_seed', 10)", connection))
            if (Convert.ToInt64(await lockCommand.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0L) != 1)
                throw new TimeoutException("Could not take the seed lock 'haportal_seed' within 10 s.");
        try
        {
            await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            // The marker's primary key makes the seed happen once even without the lock; the lock keeps nodes from queueing on it.
            await using var mark = new MySqlCommand("INSERT IGNORE INTO blog_meta (name, value) VALUES ('seeded', @at)", connection, tx);
            mark.Parameters.AddWithValue("@at", time.GetUtcNow().ToString("O"));
            var seeded = await mark.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
            if (seeded)
            {
                var at = time.GetUtcNow().UtcDateTime.AddMinutes(-SeedPosts.Count);
                foreach (var post in SeedPosts)
                {
                    await using var insert = new MySqlCommand(
                        "INSERT INTO posts (title, body, author, created_at) VALUES (@title, @body, @author, @at)", connection, tx);
                    insert.Parameters.AddWithValue("@title", post.Title);
                    insert.Parameters.AddWithValue("@body", post.Body);
                    insert.Parameters.AddWithValue("@author", post.Author);
                    insert.Parameters.AddWithValue("@at", at = at.AddMinutes(1));
                    await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return seeded;
        }
        finally
        {
            await using var release = new MySqlCommand("DO RELEASE_LOCK('haportal_seed')", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
