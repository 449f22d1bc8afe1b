using System.Collections.Immutable;

namespace HaPortal.Core.Docker;

/// <summary>
/// One Docker engine (local socket by default, any endpoint by configuration), shaped for the deploy
/// planner and executor. Every listing is filtered on <see cref="EngineLabels.Topology"/>, so nothing
/// the portal did not create is ever seen or touched. Implementations are thread-safe singletons;
/// every method honours its cancellation token and reports failures as <see cref="ContainerEngineException"/>.
/// Wherever a <c>containerId</c> is asked for, a container name works too, as in the Docker API.
/// </summary>
public interface IContainerEngine
{
    /// <summary>The engine's endpoint, for messages.</summary>
    Uri Endpoint { get; }

    /// <summary>Containers (running or not), networks and volumes labelled with this topology.</summary>
    Task<ObservedStack> ObserveAsync(string topology, CancellationToken ct);

    /// <summary>Names of every topology that owns at least one object on this engine.</summary>
    Task<ImmutableArray<string>> ListTopologiesAsync(CancellationToken ct);

    /// <summary>The image's id, or null when the engine does not have it.</summary>
    Task<string?> ImageIdAsync(string image, CancellationToken ct);

    /// <summary>
    /// Pulls an image from its registry (the engine's own credentials and mirrors). Fails with a
    /// <see cref="ContainerEngineException"/> naming the image and carrying the engine's words when the pull is refused
    /// or breaks off, or when the engine still lacks the image afterwards. <paramref name="progress"/> gets the engine's
    /// status lines (not per-layer progress).
    /// </summary>
    Task PullImageAsync(string image, Action<string>? progress, CancellationToken ct);

    /// <summary>Creates a bridge network with these labels unless one of that name exists; returns its id.</summary>
    Task<string> EnsureNetworkAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct);

    /// <summary>
    /// As <see cref="EnsureNetworkAsync(string, IReadOnlyDictionary{string, string}, CancellationToken)"/>, with the address
    /// pool the portal chose (a network that already exists keeps the pool it has; the planner compares them).
    /// </summary>
    Task<string> EnsureNetworkAsync(string name, IReadOnlyDictionary<string, string> labels, NetworkSubnet? subnet, CancellationToken ct) =>
        subnet is null
            ? EnsureNetworkAsync(name, labels, ct)
            : throw new ContainerEngineException($"Could not create network '{name}' with subnet {subnet.Subnet}: this engine adapter cannot choose subnets.");

    /// <summary>Creates a named volume with these labels unless it exists.</summary>
    Task EnsureVolumeAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct);

    /// <summary>Creates (does not start) a container; returns its id.</summary>
    Task<string> CreateContainerAsync(ContainerDefinition definition, CancellationToken ct);

    /// <summary>Writes files into a container, created or running, as one tar through the archive API.</summary>
    Task PutFilesAsync(string containerId, IReadOnlyList<ContainerFile> files, CancellationToken ct);

    /// <summary>
    /// Joins a container (created or running) to a further network with these DNS aliases. Docker resolves an alias
    /// shared by several containers round-robin. API 1.41 takes only one network at create, hence this call.
    /// </summary>
    Task ConnectNetworkAsync(string network, string containerId, IReadOnlyList<string> aliases, CancellationToken ct);

    /// <summary>Takes a container off a network (its aliases there go with it); a container not on it is fine.</summary>
    Task DisconnectNetworkAsync(string network, string containerId, CancellationToken ct);

    Task StartContainerAsync(string containerId, CancellationToken ct);

    Task StopContainerAsync(string containerId, TimeSpan grace, CancellationToken ct);

    /// <summary>Removes a container (stopping it if needed); anonymous volumes go with it, named ones stay.</summary>
    Task RemoveContainerAsync(string containerId, CancellationToken ct);

    Task RemoveNetworkAsync(string networkId, CancellationToken ct);

    Task RemoveVolumeAsync(string name, CancellationToken ct);

    /// <summary>Runs a command inside a running container (with the container's environment) and collects its output.</summary>
    Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, CancellationToken ct);

    /// <summary>
    /// Starts a command inside a running container with its stdin attached, for a conversation that outlives one
    /// call: what is written goes to its stdin, what it prints on stdout comes back. Disposing closes its stdin.
    /// </summary>
    Task<IExecConversation> StartConversationAsync(string containerId, IReadOnlyList<string> command, CancellationToken ct);

    Task<ContainerHealth> InspectHealthAsync(string containerId, CancellationToken ct);

    /// <summary>Sends SIGKILL (a crash). Docker does not restart a killed container, whatever its restart policy.</summary>
    Task KillContainerAsync(string containerId, CancellationToken ct);

    /// <summary>Freezes every process of a running container (cgroup freezer): it keeps its sockets but answers nothing.</summary>
    Task PauseContainerAsync(string containerId, CancellationToken ct);

    Task UnpauseContainerAsync(string containerId, CancellationToken ct);

    /// <summary>The container's IPv4 address on <paramref name="network"/>, or null when it is not on it (or not running).</summary>
    Task<string?> AddressOnNetworkAsync(string containerId, string network, CancellationToken ct);

    /// <summary>The values of the named environment variables of a container (absent names are left out).</summary>
    Task<ImmutableDictionary<string, string>> ReadEnvironmentAsync(string containerId, IReadOnlyCollection<string> names, CancellationToken ct);
}
