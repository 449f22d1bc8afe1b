using System.Globalization;

namespace HaPortal.Core.Haproxy;

/// <summary>
/// The runtime API over a unix socket or TCP; a connection per command (see <see cref="HaproxyCli"/>). The internal
/// constructor takes another way to send one command (a deployed load balancer is reached through the engine's exec).
/// </summary>
public sealed class HaproxyRuntime(HaproxyEndpoint endpoint, TimeProvider time, Func<string, CancellationToken, Task<string>>? send = null)
    : IHaproxyRuntime
{
    /// <summary>How often a removal looks at the server's session count while draining.</summary>
    internal static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(200);

    public HaproxyEndpoint Endpoint => endpoint;

    public async Task<IReadOnlyList<HaproxyBackend>> ListBackendsAsync(CancellationToken ct = default)
    {
        const string stateCommand = "show servers state";
        const string statCommand = "show stat";
        var states = HaproxyReplies.ParseServersState(await SendAsync(stateCommand, ct).ConfigureAwait(false), stateCommand);
        var stats = HaproxyReplies.ParseStat(await SendAsync(statCommand, ct).ConfigureAwait(false), statCommand);
        return HaproxyReplies.Merge(states, stats);
    }

    public async Task<HaproxyServer?> GetServerAsync(string backend, string server, CancellationToken ct = default)
    {
        var backends = await ListBackendsAsync(ct).ConfigureAwait(false);
        return backends.FirstOrDefault(b => b.Name == backend)?.Servers.FirstOrDefault(s => s.Name == server);
    }

    public Task SetWeightAsync(string backend, string server, int weight, CancellationToken ct = default) =>
        RunAsync($"set server {Id(backend, server)} weight {weight.ToString(CultureInfo.InvariantCulture)}", ct);

    public Task SetStateAsync(string backend, string server, ServerAdminState state, CancellationToken ct = default) =>
        RunAsync($"set server {Id(backend, server)} state {state.ToString().ToLowerInvariant()}", ct);

    public Task SetHealthCheckAsync(string backend, string server, bool enabled, CancellationToken ct = default) =>
        RunAsync($"{(enabled ? "enable" : "disable")} health {Id(backend, server)}", ct);

    public async Task AddServerAsync(string backend, DynamicServer server, CancellationToken ct = default)
    {
        var id = Id(backend, server.Name);
        if (server.Port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(server), $"{id}: port {server.Port} is not 1–65535.");
        Token(server.Address, "address");
        var command = $"add server {id} {server.Address}:{server.Port.ToString(CultureInfo.InvariantCulture)} weight {server.Weight.ToString(CultureInfo.InvariantCulture)}"
                      + (server.Check ? " check" : "") + (server.Cookie is { } c ? $" cookie {Token(c, "cookie")}" : "");
        await RunAsync(command, ct, "New server registered.").ConfigureAwait(false);
        if (server.Check) await RunAsync($"enable health {id}", ct).ConfigureAwait(false);
        await RunAsync($"enable server {id}", ct).ConfigureAwait(false);
    }

    public async Task<ServerRemoval> DeleteServerAsync(string backend, string server, TimeSpan timeout,
        bool shutdownRemaining = false, CancellationToken ct = default)
    {
        var id = Id(backend, server);
        await SetStateAsync(backend, server, ServerAdminState.Drain, ct).ConfigureAwait(false);
        var deadline = time.GetUtcNow() + timeout;
        int sessions;
        while (true)
        {
            sessions = (await GetServerAsync(backend, server, ct).ConfigureAwait(false))?.CurrentSessions
                       ?? throw new HaproxyCommandException($"del server {id}", "No such server.");
            if (sessions == 0 || time.GetUtcNow() >= deadline) break;
            await Task.Delay(DrainPoll, time, ct).ConfigureAwait(false);
        }
        if (sessions > 0 && !shutdownRemaining) return new(RemovalOutcome.TimedOut, sessions);
        await SetStateAsync(backend, server, ServerAdminState.Maint, ct).ConfigureAwait(false);
        if (sessions > 0) await RunAsync($"shutdown sessions server {id}", ct).ConfigureAwait(false);
        await RunAsync($"del server {id}", ct, "Server deleted.").ConfigureAwait(false);
        return new(RemovalOutcome.Deleted, sessions);
    }

    private Task<string> SendAsync(string command, CancellationToken ct) =>
        send is null ? HaproxyCli.SendAsync(endpoint, command, ct) : send(command, ct);

    /// <summary>Runs a change; HAProxy answers nothing (or <paramref name="success"/>) when it accepted it, its reason otherwise.</summary>
    private async Task RunAsync(string command, CancellationToken ct, string? success = null)
    {
        var reply = (await SendAsync(command, ct).ConfigureAwait(false)).Trim();
        if (reply.Length == 0 && success is null) return;
        if (success is not null && reply.StartsWith(success, StringComparison.Ordinal)) return;
        throw new HaproxyCommandException(command, reply.Length == 0 ? "(no reply)" : reply);
    }

    private static string Id(string backend, string server) => $"{Token(backend, "backend")}/{Token(server, "server")}";

    /// <summary>Names go into a command line: refuse anything that could split or extend the command.</summary>
    private static string Token(string value, string what) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')
            ? value
            : throw new ArgumentException($"The {what} '{value}' may contain only letters, digits, '-', '_', '.', ':'.", what);
}
