using HaPortal.Core.Docker;

namespace HaPortal.Core.Haproxy;

/// <summary>
/// One command on an HAProxy CLI that listens on a container's loopback (a deployed load balancer's
/// <c>stats socket ipv4@127.0.0.1:9999</c>), sent through the engine's exec: bash opens the TCP connection inside the
/// container, writes the line and prints the reply. Nothing is published and it works against a remote engine too
/// (docs/decisions/0013-operating-a-deployed-load-balancer.md). The haproxy role image has bash but no socat.
/// </summary>
internal static class ContainerCli
{
    /// <summary>Exit code of the script when nothing listens at the address inside the container.</summary>
    private const int Unreachable = 97;

    // $1 host, $2 port, $3 the command (an argument, never pasted into the script). The runtime API closes the
    // connection after its reply in non-interactive mode, so cat ends.
    private const string Script = """exec 3<>"/dev/tcp/$1/$2" || exit 97; printf '%s\n' "$3" >&3; cat <&3""";

    public static async Task<string> SendAsync(IContainerEngine engine, HaproxyEndpoint endpoint, string command, CancellationToken ct)
    {
        if (command.Contains('\n') || command.Contains(';'))
            throw new ArgumentException($"One command per call, without ';' or newline: '{command}'.", nameof(command));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(HaproxyCli.ReplyTimeout);
        ExecResult result;
        try
        {
            result = await engine.ExecAsync(endpoint.Container!, ["bash", "-c", Script, "bash", endpoint.Host!, endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), command],
                timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new HaproxyUnreachableException(endpoint, command, new TimeoutException($"no complete reply within {HaproxyCli.ReplyTimeout.TotalSeconds:0} s"));
        }
        catch (ContainerEngineException e)
        {
            // The container is gone or stopped.
            throw new HaproxyUnreachableException(endpoint, command, e);
        }
        if (!result.Succeeded)
            throw new HaproxyUnreachableException(endpoint, command, new IOException(result.ExitCode == Unreachable
                ? $"nothing listens at {endpoint.Host}:{endpoint.Port} inside the container ({result.Stderr.Trim()})"
                : $"exec exited with {result.ExitCode}: {(result.Stdout + result.Stderr).Trim()}"));
        return result.Stdout;
    }
}
