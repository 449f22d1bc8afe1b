namespace HaPortal.Core.Haproxy;

/// <summary>What an operator set on a server: takes traffic, takes only its sticky sessions, or none.</summary>
public enum ServerAdminState { Ready, Drain, Maint }

/// <summary>What HAProxy observes (srv_op_state): health checks and tracking decide it.</summary>
public enum ServerOperationalState { Stopped = 0, Starting = 1, Running = 2, Stopping = 3 }

/// <summary>One server of a backend as HAProxy reports it at one moment.</summary>
/// <param name="AdminFlags">Raw srv_admin_state bits (1 forced maint, 2 inherited maint, 4 config maint, 8 forced drain, …).</param>
/// <param name="Status">The stats page status: UP, DOWN, MAINT, DRAIN, "UP 1/3", "no check".</param>
/// <param name="Weight">The weight currently in effect (srv_uweight), 0–256.</param>
/// <param name="SessionRate">New sessions per second over the last second.</param>
/// <param name="CheckStatus">Last health check result code (L7OK, L4CON, …), empty when never checked.</param>
/// <param name="SinceLastChange">Time since the last UP/DOWN transition.</param>
public sealed record HaproxyServer(
    string Backend, string Name, string Address, int Port,
    ServerOperationalState Operational, ServerAdminState Admin, int AdminFlags, string Status,
    int Weight, int InitialWeight, int CurrentSessions, int SessionRate, long TotalSessions,
    string CheckStatus, string CheckDescription, bool HealthCheckEnabled, TimeSpan SinceLastChange)
{
    public string Id => $"{Backend}/{Name}";
}

public sealed record HaproxyBackend(string Name, string Algorithm, string? Cookie, string Status, int CurrentSessions,
    IReadOnlyList<HaproxyServer> Servers);

/// <summary>A server to add at runtime. HAProxy 2.6 refuses <c>cookie</c> on dynamic servers (it says so).</summary>
public sealed record DynamicServer(string Name, string Address, int Port, int Weight = 100, bool Check = true, string? Cookie = null);

public enum RemovalOutcome
{
    /// <summary>The server had no sessions left (or they were shut) and was deleted.</summary>
    Deleted,

    /// <summary>Sessions were still open at the timeout; the server stays in drain, nothing deleted.</summary>
    TimedOut,
}

public sealed record ServerRemoval(RemovalOutcome Outcome, int SessionsLeft);
