using System.Globalization;
using System.Text;
using HaPortal.Core.Docker;

namespace HaPortal.Core.Haproxy;

/// <summary>
/// An HAProxy CLI that listens on a container's loopback (a deployed load balancer's
/// <c>stats socket ipv4@127.0.0.1:9999</c>), reached through the engine: one exec, held open, in which bash connects
/// to the CLI and relays its stdin and stdout. The CLI runs in interactive mode (<c>prompt</c>), so every reply ends
/// with a <c>"\n> "</c> prompt and one connection serves every command: a command costs a round trip, not an exec.
/// Nothing is published and it works against a remote engine too
/// (docs/decisions/0013-operating-a-deployed-load-balancer.md). One command at a time; thread-safe.
/// </summary>
internal sealed class ContainerCli(IContainerEngine engine, HaproxyEndpoint endpoint) : IAsyncDisposable
{
    // $1 host, $2 port. Exit 97: nothing listens there. Commands arrive on stdin, never pasted into the script. The
    // shell becomes the writer (stdin → CLI); the reader (CLI → stdout) ends it when HAProxy closes the connection,
    // so the exec ends too and the next read sees the end instead of waiting for a reply that cannot come.
    private const string Script = """exec 3<>"/dev/tcp/$1/$2" || exit 97; printf 'prompt\n' >&3; { cat <&3; kill $$ 2>/dev/null; } & exec cat >&3""";

    private static readonly byte[] Prompt = "\n> "u8.ToArray();

    // A held connection belongs to the worker that accepted it. After a reload that worker is stopping: it still
    // answers, but with the old configuration, and it cannot exit while the connection stays open.
    private const int Attempts = 3;
    private static readonly TimeSpan BetweenAttempts = TimeSpan.FromMilliseconds(100);

    private readonly SemaphoreSlim _turn = new(1, 1);
    private IExecConversation? _conversation;

    /// <summary>
    /// Sends one command to the current worker. Each command is preceded by <c>show info</c> on the held connection
    /// (read-only, one round trip): an answer from a stopping worker, or none (HAProxy closed the connection after its
    /// <c>stats timeout</c>, the container was recreated), means a new connection first, so the command itself is only
    /// ever written where it takes effect.
    /// </summary>
    public async Task<string> SendAsync(string command, CancellationToken ct)
    {
        if (command.Contains('\n') || command.Contains(';'))
            throw new ArgumentException($"One command per call, without ';' or newline: '{command}'.", nameof(command));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(HaproxyCli.ReplyTimeout);
        await _turn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var why = "";
            for (var attempt = 1; attempt <= Attempts; attempt++)
            {
                var conversation = _conversation ??= await OpenAsync(command, timeout.Token).ConfigureAwait(false);
                var info = await ExchangeAsync(conversation, "show info", timeout.Token).ConfigureAwait(false);
                if (info is null || info.Contains("\nStopping: 1", StringComparison.Ordinal))
                {
                    why = info is null ? "the connection closed before it answered" : "only a stopping worker answered (a reload that does not finish?)";
                    await CloseAsync().ConfigureAwait(false);
                    if (info is not null) await Task.Delay(BetweenAttempts, timeout.Token).ConfigureAwait(false);
                    continue;
                }
                var reply = await ExchangeAsync(conversation, command, timeout.Token).ConfigureAwait(false);
                if (reply is not null) return reply;
                var errors = conversation.Errors.Trim();
                await CloseAsync().ConfigureAwait(false);
                throw new HaproxyUnreachableException(endpoint, command,
                    new IOException($"the connection inside the container closed before the reply{(errors.Length > 0 ? $" ({errors})" : "")}"));
            }
            throw new HaproxyUnreachableException(endpoint, command, new IOException($"after {Attempts} connections, {why}"));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Half a reply may still be on its way: this conversation cannot be trusted for the next command.
            await CloseAsync().ConfigureAwait(false);
            throw new HaproxyUnreachableException(endpoint, command, new TimeoutException($"no complete reply within {HaproxyCli.ReplyTimeout.TotalSeconds:0} s"));
        }
        catch (ContainerEngineException e)
        {
            // The container is gone or stopped.
            await CloseAsync().ConfigureAwait(false);
            throw new HaproxyUnreachableException(endpoint, command, e);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Starts the relay and waits for the first prompt; a CLI that is not listening ends it at once.</summary>
    private async Task<IExecConversation> OpenAsync(string command, CancellationToken ct)
    {
        var conversation = await engine.StartConversationAsync(endpoint.Container!,
            ["bash", "-c", Script, "bash", endpoint.Host!, endpoint.Port.ToString(CultureInfo.InvariantCulture)], ct).ConfigureAwait(false);
        if (await ReadReplyAsync(conversation, ct).ConfigureAwait(false) is null)
        {
            var errors = conversation.Errors.Trim();
            await conversation.DisposeAsync().ConfigureAwait(false);
            throw new HaproxyUnreachableException(endpoint, command,
                new IOException($"nothing listens at {endpoint.Host}:{endpoint.Port} inside the container{(errors.Length > 0 ? $" ({errors})" : "")}"));
        }
        return conversation;
    }

    private static async Task<string?> ExchangeAsync(IExecConversation conversation, string command, CancellationToken ct)
    {
        try
        {
            await conversation.WriteAsync(Encoding.ASCII.GetBytes(command + "\n"), ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
            return null;
        }
        return await ReadReplyAsync(conversation, ct).ConfigureAwait(false);
    }

    /// <summary>Everything up to the next prompt, without it (the reply a one-shot connection would give); null at the end of the stream.</summary>
    private static async Task<string?> ReadReplyAsync(IExecConversation conversation, CancellationToken ct)
    {
        var reply = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            int n;
            try
            {
                n = await conversation.ReadAsync(buffer, ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                return null;
            }
            if (n == 0) return null;
            reply.Write(buffer, 0, n);
            if (reply.Length >= Prompt.Length && reply.GetBuffer().AsSpan(0, (int)reply.Length).EndsWith(Prompt))
                return Encoding.UTF8.GetString(reply.GetBuffer(), 0, (int)reply.Length - Prompt.Length + 1);
        }
    }

    private async Task CloseAsync()
    {
        if (_conversation is null) return;
        var conversation = _conversation;
        _conversation = null;
        try
        {
            // "quit" makes HAProxy close the connection, so the relay inside the container ends now, not at its timeout.
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await conversation.WriteAsync("quit\n"u8.ToArray(), quick.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Already closed.
        }
        await conversation.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        try
        {
            await CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }
}
