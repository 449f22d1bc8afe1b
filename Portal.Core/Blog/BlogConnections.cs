using HaPortal.Core.Topology;
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
        HasReadEndpoint = !string.IsNullOrWhiteSpace(read);
        Read = HasReadEndpoint ? Normalize(read!) : Write;
        Schema = new MySqlConnectionStringBuilder(Write).Database;
    }

    public string Write { get; }
    public string Read { get; }

    /// <summary>True when reads have their own endpoint (a replica, no router): the write endpoint is then the primary itself.</summary>
    public bool HasReadEndpoint { get; }

    /// <summary>The app schema named by the connection string.</summary>
    public string Schema { get; }

    /// <summary>
    /// Where a read goes. Any: the read endpoint. Primary (read-your-writes): without a router, the write endpoint,
    /// which is the primary; with one endpoint (ProxySQL), the statement starts with
    /// <see cref="ReadYourWritesRule.Marker"/>, which the rendered query rule sends to the writer hostgroup — on a
    /// primary reached directly it is only a comment.
    /// </summary>
    public ReadRoute ForRead(ReadPreference preference) => preference switch
    {
        ReadPreference.Primary when HasReadEndpoint => new(Write, ""),
        ReadPreference.Primary => new(Write, ReadYourWritesRule.Marker + " "),
        _ => new(Read, ""),
    };

    private static string Normalize(string connectionString)
    {
        var b = new MySqlConnectionStringBuilder(connectionString);
        // Fail fast so the retry loop, not a long connect timeout, decides how long a failover may take: a connect to
        // the address of a killed primary is not refused, it goes unanswered until the timeout.
        if (b.ConnectionTimeout == 15) b.ConnectionTimeout = 1; // 15 is the driver default: nobody chose it
        b.AllowUserVariables = true;
        return b.ConnectionString;
    }
}

/// <summary>The endpoint of a read and the text its statements start with (the read-your-writes marker, or nothing).</summary>
public sealed record ReadRoute(string ConnectionString, string Prefix)
{
    public string Sql(string statement) => Prefix + statement;
}
