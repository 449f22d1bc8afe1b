using System.Collections.Immutable;

namespace HaPortal.Core.Docker;

/// <summary>The labels that mark what the portal owns. Nothing without <see cref="Topology"/> is ever touched.</summary>
public static class EngineLabels
{
    public const string Topology = "haportal.topology";
    public const string Role = "haportal.role";
    public const string Node = "haportal.node";

    /// <summary>The image name the container was created from (the engine reports only an id once the tag moves).</summary>
    public const string Image = "haportal.image";

    /// <summary>Hash of the files put into the container (rendered configs).</summary>
    public const string ConfigHash = "haportal.config-hash";

    /// <summary>Hash of everything else that shapes the container: image name, environment (secret values excluded), ports, command.</summary>
    public const string SettingsHash = "haportal.settings-hash";
}

/// <summary>
/// A container the engine reports with the portal's labels. <see cref="Networks"/>: network name → the aliases the
/// container has there (as the engine reports them, which includes its short id); empty when not known.
/// </summary>
public sealed record EngineContainer(
    string Id,
    string Name,
    string Topology,
    string Node,
    string Role,
    string Image,
    string ImageId,
    string State,
    ImmutableDictionary<string, string> Labels,
    ImmutableDictionary<string, ImmutableArray<string>>? Networks = null)
{
    public bool IsRunning => State == "running";
    public string? Label(string key) => Labels.GetValueOrDefault(key);

    public ImmutableDictionary<string, ImmutableArray<string>> NetworkAliases => Networks ?? ImmutableDictionary<string, ImmutableArray<string>>.Empty;
}

/// <summary>A labelled network; <see cref="Subnet"/> is the first IPv4 subnet of its address pool, null when the engine chose one.</summary>
public sealed record EngineNetwork(string Id, string Name, string Topology, string? Subnet = null);

/// <summary>
/// An address pool chosen by the portal: <see cref="IpRange"/> is where the engine hands out container addresses, so a
/// virtual IP elsewhere in <see cref="Subnet"/> is never given to a container. <see cref="Gateway"/> is pinned for the same reason.
/// </summary>
public sealed record NetworkSubnet(string Subnet, string IpRange, string Gateway);

public sealed record EngineVolume(string Name, string Topology, string? Node);

/// <summary>Everything one topology owns on an engine, as the engine reports it now.</summary>
public sealed record ObservedStack(
    string Topology,
    ImmutableArray<EngineContainer> Containers,
    ImmutableArray<EngineNetwork> Networks,
    ImmutableArray<EngineVolume> Volumes)
{
    public static ObservedStack Empty(string topology) => new(topology, [], [], []);
    public bool IsEmpty => Containers.IsEmpty && Networks.IsEmpty && Volumes.IsEmpty;
}

/// <summary>A file to put into a container (through the archive API, so remote engines work).</summary>
public sealed record ContainerFile(string Path, string Content, int Mode = 0b110_100_100);

public sealed record PublishedPort(int ContainerPort, string HostAddress, int HostPort);

public sealed record VolumeMount(string Volume, string ContainerPath);

/// <summary>What to create. Environment values in <see cref="SecretEnvironment"/> are never logged or hashed.</summary>
public sealed record ContainerDefinition
{
    public required string Name { get; init; }
    public required string Hostname { get; init; }
    public required string Image { get; init; }
    public required string Network { get; init; }
    public ImmutableArray<string> NetworkAliases { get; init; } = [];
    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> Environment { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> SecretEnvironment { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<PublishedPort> Ports { get; init; } = [];
    public ImmutableArray<VolumeMount> Volumes { get; init; } = [];
    public ImmutableArray<string> CapAdd { get; init; } = [];

    /// <summary>Null keeps the image's command.</summary>
    public ImmutableArray<string>? Command { get; init; }

    /// <summary>
    /// <c>container:&lt;name&gt;</c> to share another container's network namespace (keepalived beside its ProxySQL node).
    /// When set, <see cref="Network"/>, <see cref="NetworkAliases"/>, <see cref="Hostname"/> and <see cref="Ports"/> are not used:
    /// the engine refuses them with a shared namespace.
    /// </summary>
    public string? NetworkMode { get; init; }

    /// <summary>How often the engine runs the image's health check; null keeps the image's own interval.</summary>
    public TimeSpan? HealthCheckInterval { get; init; }
}

public sealed record ExecResult(long ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>A command running inside a container with its stdin and stdout attached (<see cref="IContainerEngine.StartConversationAsync"/>).</summary>
public interface IExecConversation : IAsyncDisposable
{
    Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct);

    /// <summary>The next bytes it printed on stdout; 0 once it ended.</summary>
    Task<int> ReadAsync(Memory<byte> buffer, CancellationToken ct);

    /// <summary>What it printed on stderr so far (the reason, when it ended early).</summary>
    string Errors { get; }
}

/// <summary>Runtime state of a container: what an operator checks first.</summary>
public sealed record ContainerHealth(string State, string? Health, long RestartCount, long ExitCode, DateTimeOffset? StartedAt)
{
    public bool IsRunning => State == "running";
}

/// <summary>
/// The engine refused or failed an operation. The message names the operation, the node or object
/// and the image where they apply, then the engine's own words.
/// </summary>
public sealed class ContainerEngineException(string message, Exception? inner = null) : Exception(message, inner);
