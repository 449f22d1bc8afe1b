using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace HaPortal.Core.Blog;

/// <summary>The database stayed unreachable (or read-only) for the whole retry budget.</summary>
public sealed class DatabaseUnavailableException(string reason, Exception inner) : Exception(reason, inner)
{
    /// <summary>A short reason fit for a public page: no host names, no connection strings.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// Retries database work through a failover: connection failures, lost connections, a server shutting down and a
/// primary that has just gone read-only are retried with exponential backoff for a few seconds, so a failover shows as
/// a short pause. Time comes from <see cref="TimeProvider"/> so tests need not sleep.
/// </summary>
public sealed partial class TransientRetry(TimeProvider time, ILogger<TransientRetry> logger)
{
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(6);
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Short on purpose: a failover ends at a moment nobody can predict (the writer alias moves), and with a long backoff
    /// the first write after it waits for the next attempt (measured: 1.5 s added to a kill drill with a 1.5 s cap).
    /// </summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public async Task<T> ExecuteAsync<T>(string operation, Func<CancellationToken, Task<T>> work, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var delay = FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await work(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
            {
                var elapsed = time.GetElapsedTime(started);
                if (elapsed + delay > Budget)
                {
                    LogGaveUp(logger, operation, attempt, elapsed.TotalMilliseconds, Describe(e));
                    throw new DatabaseUnavailableException(Describe(e), e);
                }
                LogRetrying(logger, operation, attempt, delay.TotalMilliseconds, Describe(e));
                // Pooled connections still lead to the server that failed (a name such as db-writer resolved before the
                // primary moved); drop them so the retry resolves and connects afresh.
                if (MeansServerChanged(e)) await MySqlConnection.ClearAllPoolsAsync(CancellationToken.None).ConfigureAwait(false);
                await Task.Delay(delay, time, ct).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// Runs a transaction's COMMIT inside <see cref="ExecuteAsync{T}"/>'s work. A COMMIT that went out and got no answer
    /// (the connection was lost, the primary killed) may have been applied — with semi-sync, even on the replica about to
    /// be promoted — so running the whole write again could store it twice. Such a loss ends the retries with
    /// <see cref="DatabaseUnavailableException"/> saying the outcome is unknown; a COMMIT the server refused (read-only,
    /// deadlock) was not applied and stays retryable.
    /// </summary>
    public static async Task CommitOnceAsync(Func<CancellationToken, Task> commit, CancellationToken ct)
    {
        try
        {
            await commit(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (LosesTheAnswer(e) && !ct.IsCancellationRequested)
        {
            throw new DatabaseUnavailableException(OutcomeUnknown, e);
        }
    }

    public const string OutcomeUnknown = "the connection to the database was lost while saving; the change may have been saved, check before sending it again";

    /// <summary>The connection broke, so no answer will come (as opposed to the server answering with an error).</summary>
    public static bool LosesTheAnswer(Exception e) => e switch
    {
        MySqlException m => m.Number is 2006 or 2013 or 1927 || m.InnerException is SocketException or IOException or EndOfStreamException,
        SocketException or IOException => true,
        _ => false,
    };

    private static readonly HashSet<int> TransientCodes =
    [
        1040, // too many connections
        1053, // server shutdown in progress
        1205, // lock wait timeout
        1213, // deadlock
        1290, // --read-only: a write reached a primary that is being demoted
        1836, // running in read-only mode
        1927, // connection was killed
        2002, 2003, 2006, 2013, // cannot connect, server has gone away, lost connection
        1042, // unable to connect to host (MySqlConnector)
    ];

    /// <summary>Read-only, killed, shutting down or unreachable: the endpoint may now lead elsewhere (not a lock wait or deadlock).</summary>
    public static bool MeansServerChanged(Exception e) => e is not MySqlException { Number: 1040 or 1205 or 1213 };

    public static bool IsTransient(Exception e) => e switch
    {
        MySqlException m => m.IsTransient || TransientCodes.Contains(m.Number) || TransientCodes.Contains((int)m.ErrorCode)
                            || m.InnerException is SocketException or IOException or EndOfStreamException,
        SocketException or EndOfStreamException => true,
        IOException => true,
        _ => false,
    };

    /// <summary>A reason without secrets: the error class and code only.</summary>
    public static string Describe(Exception e) => e switch
    {
        MySqlException { Number: 1290 or 1836 } => "the database is read-only (a failover may be in progress)",
        MySqlException { Number: 1053 } => "the database server is shutting down",
        MySqlException { Number: 1205 or 1213 } => "the database is busy (lock wait)",
        MySqlException m when m.ErrorCode is MySqlErrorCode.UnableToConnectToHost => "the database cannot be reached",
        MySqlException m when LosesTheAnswer(m) => "the connection to the database was lost",
        MySqlException m => $"database error {m.Number}",
        _ => "the database cannot be reached",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Operation}: attempt {Attempt} failed ({Reason}); retrying in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, string operation, int attempt, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Operation}: giving up after {Attempt} attempts in {ElapsedMs} ms ({Reason})")]
    private static partial void LogGaveUp(ILogger logger, string operation, int attempt, double elapsedMs, string reason);
}
