using System.Globalization;
using System.Text.Json.Serialization;

namespace HaPortal.Core.ProxySql;

/// <summary>Where a ProxySQL admin interface listens and who logs in. The password never appears in ToString.</summary>
public sealed record ProxySqlEndpoint(string Host, int Port, string User, [property: JsonIgnore] string Password)
{
    public string Address => $"{Host}:{Port}";

    public override string ToString() => $"{User}@{Address}";

    /// <summary>Parses "host:port" (port 6032 when omitted); null with a reason when it is not one.</summary>
    public static ProxySqlEndpoint? Parse(string address, string user, string password, out string? problem)
    {
        problem = null;
        var colon = address.LastIndexOf(':');
        var host = colon < 0 ? address : address[..colon];
        var port = 6032;
        if (colon >= 0 && (!int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            problem = $"'{address}' has no valid port; write host:port, e.g. 127.0.0.1:6032.";
        else if (host.Length == 0)
            problem = $"'{address}' has no host; write host:port, e.g. 127.0.0.1:6032.";
        return problem is null ? new ProxySqlEndpoint(host, port, user, password) : null;
    }
}

/// <summary>The three places ProxySQL keeps its configuration: edited (memory), in effect (runtime), persisted (disk).</summary>
public enum AdminLayer { Memory, Runtime, Disk }

/// <summary>One row of mysql_query_rules (the columns the portal manages; the rest keep ProxySQL's defaults).</summary>
public sealed record ProxySqlQueryRule
{
    public required int RuleId { get; init; }
    public bool Active { get; init; } = true;
    public string? Username { get; init; }
    public string? Schemaname { get; init; }
    public int FlagIn { get; init; }
    public string? MatchDigest { get; init; }
    public string? MatchPattern { get; init; }
    public bool NegateMatchPattern { get; init; }
    public string ReModifiers { get; init; } = "CASELESS";
    public int? FlagOut { get; init; }
    public int? DestinationHostgroup { get; init; }
    public int? CacheTtl { get; init; }
    public int? Timeout { get; init; }
    public int? Retries { get; init; }
    public int? MirrorHostgroup { get; init; }
    public int? Multiplex { get; init; }
    public bool? Log { get; init; }
    public bool Apply { get; init; }
    public string? Comment { get; init; }
}

public sealed record ProxySqlServer
{
    public required int HostgroupId { get; init; }
    public required string Hostname { get; init; }
    public int Port { get; init; } = 3306;
    public string Status { get; init; } = ServerStatus.Online;
    public int Weight { get; init; } = 1;
    public int MaxConnections { get; init; } = 1000;
    public int MaxReplicationLag { get; init; }
    public bool UseSsl { get; init; }
    public int MaxLatencyMs { get; init; }
    public string Comment { get; init; } = "";
}

public static class ServerStatus
{
    public const string Online = "ONLINE";
    public const string Shunned = "SHUNNED";
    public const string OfflineSoft = "OFFLINE_SOFT";
    public const string OfflineHard = "OFFLINE_HARD";
}

public sealed record ProxySqlUser
{
    public required string Username { get; init; }

    /// <summary>Kept so a replace writes it back unchanged; never serialised out of the portal.</summary>
    [JsonIgnore] public string? Password { get; init; }

    public bool Active { get; init; } = true;
    public int DefaultHostgroup { get; init; }
    public string? DefaultSchema { get; init; }
    public bool TransactionPersistent { get; init; } = true;
    public bool FastForward { get; init; }
    public int MaxConnections { get; init; } = 10000;
    public string Comment { get; init; } = "";
}

public sealed record ReplicationHostgroup(int WriterHostgroup, int ReaderHostgroup, string CheckType = "read_only", string Comment = "");

public sealed record GlobalVariable(string Name, string Value);

/// <summary>A row of proxysql_servers: a peer in a ProxySQL cluster.</summary>
public sealed record ProxySqlPeer(string Hostname, int Port = 6032, int Weight = 0, string Comment = "");

public sealed record QueryDigestStat(int Hostgroup, string Schemaname, string Username, string Digest, string DigestText,
    long CountStar, long FirstSeen, long LastSeen, long SumTimeUs, long MinTimeUs, long MaxTimeUs, long SumRowsAffected, long SumRowsSent);

public sealed record ConnectionPoolStat(int Hostgroup, string Host, int Port, string Status, long ConnUsed, long ConnFree,
    long ConnOk, long ConnErr, long MaxConnUsed, long Queries, long BytesSent, long BytesReceived, long LatencyUs);

public sealed record QueryRuleHits(int RuleId, long Hits);

/// <summary>The steps of a change, in order; a failure names the one it stopped at.</summary>
public enum ChangeStep { Connect, Snapshot, Write, LoadToRuntime, SaveToDisk, Confirm }

/// <summary>
/// The outcome of one change on one node. On failure, <see cref="FailedStep"/> and ProxySQL's own message say what
/// went wrong, and <see cref="Restored"/> whether the admin tables were put back as they were.
/// </summary>
public sealed record NodeChangeResult(string Node, ChangeStep? FailedStep = null, string? Message = null, bool Restored = false,
    string? RestoreError = null, TimeSpan Elapsed = default)
{
    public bool Succeeded => FailedStep is null;

    public override string ToString() => Succeeded
        ? $"{Node}: applied and confirmed in runtime"
        : $"{Node}: failed at {FailedStep}: {Message}"
          + (Restored ? "; admin tables restored" : RestoreError is null ? "" : $"; restore failed: {RestoreError}");
}

/// <summary>An unexpected admin interface failure (a read that could not be done), with the node and the statement.</summary>
public sealed class ProxySqlAdminException(string node, string what, string message, Exception? inner = null)
    : Exception($"ProxySQL {node}: {what}: {message}", inner)
{
    public string Node { get; } = node;
}
