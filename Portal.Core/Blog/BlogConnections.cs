using MySqlConnector;

namespace HaPortal.Core.Blog;

/// <summary>
/// The blog's database endpoints. <see cref="Write"/> is ConnectionStrings:App (ProxySQL in a full stack, the primary
/// without a router). <see cref="Read"/> is ConnectionStrings:AppRead when set (a replica, for a stack without a
/// router), otherwise the same endpoint, where the router decides.
/// </summary>
public sealed class BlogConnections
{
    public BlogConnections(string write, string? read = null)
    {
        Write = Normalize(write);
        Read = string.IsNullOrWhiteSpace(read) ? Write : Normalize(read);
        Schema = new MySqlConnectionStringBuilder(Write).Database;
    }

    public string Write { get; }
    public string Read { get; }

    /// <summary>The app schema named by the connection string.</summary>
    public string Schema { get; }

    /// <summary>
    /// The seam for read-your-writes: today Primary means the write endpoint; a router-aware version can instead mark
    /// the statement for ProxySQL's query rules.
    /// </summary>
    public string ForRead(ReadPreference preference) => preference == ReadPreference.Primary ? Write : Read;

    private static string Normalize(string connectionString)
    {
        var b = new MySqlConnectionStringBuilder(connectionString);
        // Fail fast so the retry loop, not a long connect timeout, decides how long a failover may take.
        if (b.ConnectionTimeout == 15) b.ConnectionTimeout = 3; // 15 is the driver default: nobody chose it
        b.AllowUserVariables = true;
        return b.ConnectionString;
    }
}
