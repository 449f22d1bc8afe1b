namespace HaPortal.Core.Haproxy;

/// <summary>
/// The runtime API of one HAProxy process: read backends and servers, change weight and state, add and delete
/// servers without a reload. Implementations hold no connection between calls and are safe to share (singleton).
/// Every call honours its CancellationToken; a refusal by HAProxy raises <see cref="HaproxyCommandException"/>
/// naming the command, an unreachable endpoint <see cref="HaproxyUnreachableException"/>.
/// </summary>
public interface IHaproxyRuntime
{
    HaproxyEndpoint Endpoint { get; }

    Task<IReadOnlyList<HaproxyBackend>> ListBackendsAsync(CancellationToken ct = default);

    /// <summary>The server, or null when the backend or the server does not exist.</summary>
    Task<HaproxyServer?> GetServerAsync(string backend, string server, CancellationToken ct = default);

    Task SetWeightAsync(string backend, string server, int weight, CancellationToken ct = default);

    Task SetStateAsync(string backend, string server, ServerAdminState state, CancellationToken ct = default);

    Task SetHealthCheckAsync(string backend, string server, bool enabled, CancellationToken ct = default);

    /// <summary>
    /// Adds a server, enables its health check (when asked) and the server itself; HAProxy creates dynamic servers in
    /// maintenance. The backend must use a dynamic balance algorithm (roundrobin, leastconn, first, random).
    /// </summary>
    Task AddServerAsync(string backend, DynamicServer server, CancellationToken ct = default);

    /// <summary>
    /// Drains the server, waits until it has no sessions or <paramref name="timeout"/> passes (polling on the injected
    /// TimeProvider), then puts it in maintenance and deletes it. At the timeout it deletes only when
    /// <paramref name="shutdownRemaining"/> is set (remaining sessions are shut); otherwise it reports TimedOut and
    /// leaves the server draining.
    /// </summary>
    Task<ServerRemoval> DeleteServerAsync(string backend, string server, TimeSpan timeout, bool shutdownRemaining = false,
        CancellationToken ct = default);
}
