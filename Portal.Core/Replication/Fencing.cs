namespace HaPortal.Core.Replication;

/// <summary>The outcome of fencing a node: confirmed means it cannot accept a write any more.</summary>
public sealed record FenceResult(bool Confirmed, string Method, string Detail);

/// <summary>
/// Makes sure a failed primary can no longer take writes before another node is promoted, so there are never two
/// writers. Implementations: read_only on the server, a local process stopped, ProxySQL OFFLINE_HARD, a paused container.
/// </summary>
public interface IFencing
{
    Task<FenceResult> FenceAsync(ClusterNode node, CancellationToken ct);
}

/// <summary>Fences a node that still answers: read_only on and every client connection killed.</summary>
public sealed class ReadOnlyFencing(IReplicationControl control) : IFencing
{
    public async Task<FenceResult> FenceAsync(ClusterNode node, CancellationToken ct)
    {
        try
        {
            await control.SetReadOnlyAsync(node.Endpoint, true, ct).ConfigureAwait(false);
            var killed = await control.KillClientConnectionsAsync(node.Endpoint, ct).ConfigureAwait(false);
            return new(true, "read_only", $"read_only=ON on {node.Name}, {killed} client connections killed");
        }
        catch (ReplicationCommandException e)
        {
            return new(false, "read_only", $"could not set read_only on {node.Name}: {e.InnerException?.Message}");
        }
    }
}

/// <summary>
/// Fences a local mariadbd by its pid file: a running process is stopped with SIGSTOP (it keeps its data and can be
/// resumed or restarted later); a process that is not running is already fenced.
/// </summary>
public sealed class LocalProcessFencing(IReadOnlyDictionary<string, string> pidFiles, string programName = "mariadbd") : IFencing
{
    public Task<FenceResult> FenceAsync(ClusterNode node, CancellationToken ct)
    {
        if (!pidFiles.TryGetValue(node.Name, out var pidFile))
            return Task.FromResult(new FenceResult(false, "process", $"no pid file known for {node.Name}"));
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
            return Task.FromResult(new FenceResult(false, "process", $"{pidFile} does not hold a pid"));
        if (!ProcessSignals.IsRunning(pid, programName))
            return Task.FromResult(new FenceResult(true, "process", $"{programName} of {node.Name} (pid {pid}) is not running"));
        var sent = ProcessSignals.Send(pid, ProcessSignals.SigStop);
        return Task.FromResult(new FenceResult(true, "process", sent
            ? $"{programName} of {node.Name} (pid {pid}) stopped with SIGSTOP"
            : $"{programName} of {node.Name} (pid {pid}) exited before it could be stopped"));
    }
}

/// <summary>Tries each fence in order and stops at the first confirmed one; otherwise reports every attempt.</summary>
public sealed class FirstConfirmedFencing(params IFencing[] fences) : IFencing
{
    public async Task<FenceResult> FenceAsync(ClusterNode node, CancellationToken ct)
    {
        var attempts = new List<FenceResult>();
        foreach (var fence in fences)
        {
            var result = await fence.FenceAsync(node, ct).ConfigureAwait(false);
            if (result.Confirmed) return result;
            attempts.Add(result);
        }
        return new(false, string.Join("+", attempts.Select(a => a.Method)), string.Join("; ", attempts.Select(a => a.Detail)));
    }
}
