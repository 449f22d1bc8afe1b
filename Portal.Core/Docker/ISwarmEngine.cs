using System.Collections.Immutable;

namespace HaPortal.Core.Docker;

/// <summary>
/// The Swarm side of a Docker engine that is a Swarm manager: services, configs, overlay networks, nodes and tasks,
/// shaped for the Swarm planner and executor. Like <see cref="IContainerEngine"/>, every listing is filtered on
/// <see cref="EngineLabels.Topology"/>, so nothing the portal did not create is seen or touched. Thread-safe singleton;
/// every method honours its cancellation token and reports failures as <see cref="ContainerEngineException"/>.
/// Task containers on this engine's own node are reached through <see cref="IContainerEngine"/> (exec, inspect).
/// </summary>
public interface ISwarmEngine
{
    Uri Endpoint { get; }

    /// <summary>This engine's Swarm node id, or null when the engine is not part of a Swarm.</summary>
    Task<string?> LocalNodeIdAsync(CancellationToken ct);

    Task<ImmutableArray<SwarmNode>> ListNodesAsync(CancellationToken ct);

    /// <summary>Services, configs and networks labelled with this topology; volumes of this engine's node.</summary>
    Task<ObservedSwarmStack> ObserveAsync(string topology, CancellationToken ct);

    /// <summary>Names of every topology that owns a service, config or overlay network on this Swarm.</summary>
    Task<ImmutableArray<string>> ListTopologiesAsync(CancellationToken ct);

    /// <summary>Creates an attachable overlay network with these labels unless one of that name exists.</summary>
    Task<string> EnsureOverlayNetworkAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct);

    /// <summary>Creates a config with this name and content unless it exists (a config's content never changes).</summary>
    Task EnsureConfigAsync(string name, string content, IReadOnlyDictionary<string, string> labels, CancellationToken ct);

    Task RemoveConfigAsync(string idOrName, CancellationToken ct);

    /// <summary>Creates a service (its configs and networks must exist); returns its id.</summary>
    Task<string> CreateServiceAsync(ServiceDefinition definition, CancellationToken ct);

    /// <summary>Replaces a service's spec; Swarm replaces its task (stop first, then start). <paramref name="version"/> from the observation.</summary>
    Task UpdateServiceAsync(string serviceId, ulong version, ServiceDefinition definition, CancellationToken ct);

    /// <summary>Removes a service; its tasks stop shortly after. A missing one is fine.</summary>
    Task RemoveServiceAsync(string serviceId, CancellationToken ct);

    /// <summary>How many containers of this service's tasks (running or not) this engine's node still holds.</summary>
    Task<int> LocalTaskContainersAsync(string serviceId, CancellationToken ct);

    /// <summary>The tasks of one service (by id or name), newest first; none when the service does not exist.</summary>
    Task<ImmutableArray<SwarmTask>> ListTasksAsync(string service, CancellationToken ct);
}
