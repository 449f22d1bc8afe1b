using System.Collections.Immutable;

namespace HaPortal.Core.Docker;

/// <summary>A node of the Swarm as the manager reports it. Only ready, active nodes get new services.</summary>
public sealed record SwarmNode(string Id, string Hostname, bool Ready, bool Active)
{
    public bool Schedulable => Ready && Active;
}

/// <summary>A network a service joins, with its DNS aliases there (the service's VIP answers to each).</summary>
public sealed record ServiceNetwork(string Network, ImmutableArray<string> Aliases);

/// <summary>A Swarm config (immutable content, stored by the managers) the service's tasks see as a file.</summary>
public sealed record ServiceConfigFile(string ConfigName, string Path, string Content, int Mode = 0b100_100_100);

/// <summary>A named volume of the node the task runs on, created there on first use with these labels.</summary>
public sealed record ServiceVolume(string Volume, string ContainerPath, ImmutableDictionary<string, string> Labels);

/// <summary>
/// One Swarm service with one task: a node of the topology, found by DNS (round robin over its one task, no virtual
/// IP). Published ports are bound on the Swarm node that runs the task. <see cref="Constraints"/> pin the task (<c>node.id==…</c>) where the planner placed it.
/// Environment values in <see cref="SecretEnvironment"/> are never logged or hashed.
/// </summary>
public sealed record ServiceDefinition
{
    public required string Name { get; init; }
    public required string Hostname { get; init; }
    public required string Image { get; init; }
    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> Environment { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> SecretEnvironment { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<ServiceNetwork> Networks { get; init; } = [];
    public ImmutableArray<ServiceConfigFile> Configs { get; init; } = [];
    public ImmutableArray<ServiceVolume> Volumes { get; init; } = [];
    public ImmutableArray<PublishedPort> Ports { get; init; } = [];
    public ImmutableArray<string> Constraints { get; init; } = [];

    /// <summary>Changed on every update, so Swarm replaces the task even when nothing else in the spec changed.</summary>
    public ulong ForceUpdate { get; init; }
}

/// <summary>
/// A service the manager reports with the portal's labels; <see cref="Version"/> is what an update must name.
/// <see cref="TaskState"/>: the state of its newest task (running, starting, failed, …), null when it has none.
/// </summary>
public sealed record EngineService(
    string Id,
    string Name,
    string Node,
    string Role,
    ulong Version,
    ImmutableDictionary<string, string> Labels,
    ImmutableArray<string> Constraints,
    ImmutableArray<string> ConfigNames,
    ImmutableDictionary<string, string> Environment,
    string? TaskState = null,
    ulong ForceUpdate = 0)
{
    public bool IsRunning => TaskState == "running";

    public string? Label(string key) => Labels.GetValueOrDefault(key);
}

public sealed record EngineConfig(string Id, string Name, string? Node);

/// <summary>One task of a service: where it runs and how far it got (new, pending, …, running, failed, rejected, …).</summary>
public sealed record SwarmTask(
    string Id,
    string ServiceId,
    string NodeId,
    string State,
    string DesiredState,
    string? ContainerId,
    string? Error,
    DateTimeOffset CreatedAt)
{
    public bool IsRunning => State == "running" && DesiredState == "running";
}

/// <summary>Everything one topology owns on a Swarm, as the manager reports it now (volumes: those of this engine's node).</summary>
public sealed record ObservedSwarmStack(
    string Topology,
    ImmutableArray<EngineService> Services,
    ImmutableArray<EngineConfig> Configs,
    ImmutableArray<EngineNetwork> Networks,
    ImmutableArray<EngineVolume> Volumes)
{
    public static ObservedSwarmStack Empty(string topology) => new(topology, [], [], [], []);
    public bool IsEmpty => Services.IsEmpty && Configs.IsEmpty && Networks.IsEmpty && Volumes.IsEmpty;
}
