using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace HaPortal.Core.Docker;

public sealed class ContainerEngineOptions
{
    public const string Section = "Docker";
    public static readonly Uri LocalSocket = new("unix:///var/run/docker.sock");

    /// <summary>Docker endpoint: unix:///var/run/docker.sock (default), tcp://host:2375, npipe://./pipe/docker_engine.</summary>
    public Uri Endpoint { get; set; } = LocalSocket;
}

/// <summary>One <see cref="DockerClient"/> per endpoint for the life of the process: clients hold connection pools.</summary>
public static class DockerClients
{
    private static readonly ConcurrentDictionary<Uri, Lazy<DockerClient>> Clients = new();

    public static DockerClient For(Uri endpoint) =>
        Clients.GetOrAdd(endpoint, e => new Lazy<DockerClient>(() => new DockerClientConfiguration(e).CreateClient())).Value;
}

/// <summary><see cref="IContainerEngine"/> over Docker.DotNet. Transport types stay in this class.</summary>
public sealed class DockerEngine(ContainerEngineOptions options) : IContainerEngine
{
    private readonly DockerClient _client = DockerClients.For(options.Endpoint);

    public Uri Endpoint => options.Endpoint;

    private const string SwarmServiceLabel = "com.docker.swarm.service.id";

    public Task<ObservedStack> ObserveAsync(string topology, CancellationToken ct) => Guard($"list objects of topology '{topology}'", async () =>
    {
        // The engine answers these at once; asked one after the other, a large stack's plan waited on each in turn.
        var filter = LabelFilter($"{EngineLabels.Topology}={topology}");
        var listing = _client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }, ct);
        var listingNetworks = _client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }, ct);
        var listingVolumes = _client.Volumes.ListAsync(new VolumesListParameters { Filters = filter }, ct);
        await Task.WhenAll(listing, listingNetworks, listingVolumes).ConfigureAwait(false);
        var (networks, volumes) = (listingNetworks.Result, listingVolumes.Result);
        // A Swarm task's container carries its service's labels, but it is the Swarm's to replace or remove.
        var observed = await Task.WhenAll(listing.Result.Where(c => c.Labels?.ContainsKey(SwarmServiceLabel) != true).Select(async c =>
        {
            // The list's network settings carry no aliases; inspect has them (also for created, never-started containers).
            var inspect = await _client.Containers.InspectContainerAsync(c.ID, ct).ConfigureAwait(false);
            var joined = (inspect.NetworkSettings?.Networks ?? new Dictionary<string, EndpointSettings>())
                .ToImmutableDictionary(n => n.Key, n => (n.Value.Aliases ?? []).ToImmutableArray());
            return ToContainer(c) with { Networks = joined };
        })).ConfigureAwait(false);
        return new ObservedStack(
            topology,
            [.. observed.OrderBy(c => c.Name, StringComparer.Ordinal)],
            [.. networks.Select(n => new EngineNetwork(n.ID, n.Name, topology, n.IPAM?.Config?.Select(c => c.Subnet).FirstOrDefault(sn => !string.IsNullOrEmpty(sn) && !sn.Contains(':'))))
                .OrderBy(n => n.Name, StringComparer.Ordinal)],
            [.. (volumes.Volumes ?? []).Select(v => new EngineVolume(v.Name, topology, LabelOf(v.Labels, EngineLabels.Node)))
                .OrderBy(v => v.Name, StringComparer.Ordinal)]);
    });

    public Task<ImmutableArray<string>> ListTopologiesAsync(CancellationToken ct) => Guard("list topologies", async () =>
    {
        var filter = LabelFilter(EngineLabels.Topology);
        var containers = await _client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }, ct).ConfigureAwait(false);
        var networks = await _client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }, ct).ConfigureAwait(false);
        var volumes = await _client.Volumes.ListAsync(new VolumesListParameters { Filters = filter }, ct).ConfigureAwait(false);
        return containers.Select(c => c.Labels[EngineLabels.Topology])
            .Concat(networks.Select(n => n.Labels[EngineLabels.Topology]))
            .Concat((volumes.Volumes ?? []).Select(v => v.Labels[EngineLabels.Topology]))
            .Distinct().Order(StringComparer.Ordinal).ToImmutableArray();
    });

    public async Task<string?> ImageIdAsync(string image, CancellationToken ct)
    {
        try
        {
            return (await _client.Images.InspectImageAsync(image, ct).ConfigureAwait(false)).ID;
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw Fail($"inspect image '{image}'", e);
        }
    }

    public Task PullImageAsync(string image, Action<string>? progress, CancellationToken ct) => Guard($"pull image '{image}'", async () =>
    {
        var (repository, tag) = SplitReference(image);
        var messages = new PullMessages(progress);
        // A refusal before the pull starts is an HTTP error (Guard turns it into the engine's words); one part-way
        // arrives as an error line in the stream instead.
        await _client.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = repository, Tag = tag }, null, messages, ct).ConfigureAwait(false);
        if (messages.Error is { } error) throw new ContainerEngineException($"Could not pull image '{image}': {error}");
        if (await ImageIdAsync(image, ct).ConfigureAwait(false) is null)
            throw new ContainerEngineException($"Could not pull image '{image}': the engine reported no error but does not have the image afterwards.");
        return true;
    });

    /// <summary>
    /// Repository and tag the way the pull API wants them: <c>registry:5000/team/web:dev</c> → (<c>registry:5000/team/web</c>,
    /// <c>dev</c>); no tag means <c>latest</c> (an empty tag would pull every tag); a digest stays in the repository part.
    /// </summary>
    internal static (string Repository, string? Tag) SplitReference(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal)) return (image, null);
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
    }

    /// <summary>Collects the pull stream synchronously (Progress&lt;T&gt; would post lines after the call returned).</summary>
    private sealed class PullMessages(Action<string>? report) : IProgress<JSONMessage>
    {
        private string? _lastStatus;

        public string? Error { get; private set; }

        public void Report(JSONMessage value)
        {
            if ((value.Error?.Message ?? value.ErrorMessage) is { Length: > 0 } error)
            {
                Error ??= error;
                return;
            }
            // Per-layer lines carry an id; the stream's own status lines (pulling from, digest, done) do not.
            if (string.IsNullOrEmpty(value.ID) && value.Status is { Length: > 0 } status && status != _lastStatus)
            {
                _lastStatus = status;
                report?.Invoke(status);
            }
        }
    }

    public Task<string> EnsureNetworkAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct) =>
        EnsureNetworkAsync(name, labels, null, ct);

    public Task<string> EnsureNetworkAsync(string name, IReadOnlyDictionary<string, string> labels, NetworkSubnet? subnet, CancellationToken ct) =>
        Guard($"create network '{name}'{(subnet is null ? "" : $" with subnet {subnet.Subnet}")}", async () =>
    {
        var existing = await _client.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [name] = true } },
        }, ct).ConfigureAwait(false);
        // The name filter matches substrings; only an exact name counts.
        if (existing.FirstOrDefault(n => n.Name == name) is { } found)
        {
            if (LabelOf(found.Labels, EngineLabels.Topology) != labels.GetValueOrDefault(EngineLabels.Topology))
                throw new ContainerEngineException($"Network '{name}' exists but is not owned by topology '{labels.GetValueOrDefault(EngineLabels.Topology)}'; it is left alone. Remove or rename it.");
            return found.ID;
        }
        var created = await _client.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = name,
            Driver = "bridge",
            Labels = labels.ToDictionary(),
            IPAM = subnet is null ? null : new IPAM
            {
                Driver = "default",
                Config = [new IPAMConfig { Subnet = subnet.Subnet, IPRange = subnet.IpRange, Gateway = subnet.Gateway }],
            },
        }, ct).ConfigureAwait(false);
        return created.ID;
    });

    public Task EnsureVolumeAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct) => Guard($"create volume '{name}'", async () =>
    {
        // Creating an existing local volume is a no-op in the engine, so this is idempotent as is.
        await _client.Volumes.CreateAsync(new VolumesCreateParameters { Name = name, Labels = labels.ToDictionary() }, ct).ConfigureAwait(false);
        return true;
    });

    public Task<string> CreateContainerAsync(ContainerDefinition d, CancellationToken ct) =>
        Guard($"create container '{d.Name}' from image '{d.Image}'", async () =>
        {
            // A shared network namespace brings its own hostname, addresses and ports; the engine refuses them here.
            var shared = d.NetworkMode is not null;
            var parameters = new CreateContainerParameters
            {
                Name = d.Name,
                Hostname = shared ? null : d.Hostname,
                Image = d.Image,
                Labels = d.Labels.ToDictionary(),
                Env = [.. d.Environment.Concat(d.SecretEnvironment).Select(kv => $"{kv.Key}={kv.Value}")],
                Cmd = d.Command is { } cmd ? [.. cmd] : null,
                // Only the interval: the engine takes the image's test, timeout and start period for what is left unset.
                Healthcheck = d.HealthCheckInterval is { } every ? new HealthConfig { Interval = every } : null,
                ExposedPorts = d.Ports.ToDictionary(p => $"{p.ContainerPort}/tcp", _ => default(EmptyStruct)),
                HostConfig = new HostConfig
                {
                    PortBindings = d.Ports.GroupBy(p => p.ContainerPort).ToDictionary(
                        g => $"{g.Key}/tcp",
                        g => (IList<PortBinding>)[.. g.Select(p => new PortBinding { HostIP = p.HostAddress, HostPort = p.HostPort.ToString(System.Globalization.CultureInfo.InvariantCulture) })]),
                    Mounts = [.. d.Volumes.Select(v => new Mount { Type = "volume", Source = v.Volume, Target = v.ContainerPath })],
                    CapAdd = d.CapAdd.IsEmpty ? null : [.. d.CapAdd],
                    RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.UnlessStopped },
                    NetworkMode = d.NetworkMode,
                },
                NetworkingConfig = shared ? null : new NetworkingConfig
                {
                    EndpointsConfig = new Dictionary<string, EndpointSettings>
                    {
                        [d.Network] = new EndpointSettings { Aliases = [.. d.NetworkAliases] },
                    },
                },
            };
            var response = await _client.Containers.CreateContainerAsync(parameters, ct).ConfigureAwait(false);
            return response.ID;
        });

    public Task PutFilesAsync(string containerId, IReadOnlyList<ContainerFile> files, CancellationToken ct) =>
        Guard($"put {files.Count} file(s) into container {Short(containerId)}", async () =>
        {
            using var tar = new MemoryStream();
            await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            {
                foreach (var file in files)
                {
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, file.Path.TrimStart('/'))
                    {
                        Mode = (UnixFileMode)file.Mode,
                        ModificationTime = DateTimeOffset.UnixEpoch,
                        DataStream = new MemoryStream(Encoding.UTF8.GetBytes(file.Content)),
                    };
                    await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
                }
            }
            tar.Position = 0;
            await _client.Containers.ExtractArchiveToContainerAsync(containerId, new ContainerPathStatParameters { Path = "/" }, tar, ct).ConfigureAwait(false);
            return true;
        });

    public Task ConnectNetworkAsync(string network, string containerId, IReadOnlyList<string> aliases, CancellationToken ct) =>
        Guard($"connect container {Short(containerId)} to network '{network}'{(aliases.Count == 0 ? "" : $" as {string.Join(", ", aliases)}")}", async () =>
        {
            await _client.Networks.ConnectNetworkAsync(network, new NetworkConnectParameters
            {
                Container = containerId,
                EndpointConfig = new EndpointSettings { Aliases = [.. aliases] },
            }, ct).ConfigureAwait(false);
            return true;
        });

    public Task DisconnectNetworkAsync(string network, string containerId, CancellationToken ct) =>
        Guard($"disconnect container {Short(containerId)} from network '{network}'", async () =>
        {
            var inspect = await _client.Containers.InspectContainerAsync(containerId, ct).ConfigureAwait(false);
            if (inspect.NetworkSettings?.Networks?.ContainsKey(network) != true) return true;
            await _client.Networks.DisconnectNetworkAsync(network, new NetworkDisconnectParameters { Container = containerId, Force = true }, ct).ConfigureAwait(false);
            return true;
        });

    public Task StartContainerAsync(string containerId, CancellationToken ct) => Guard($"start container {Short(containerId)}", async () =>
    {
        await _client.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), ct).ConfigureAwait(false);
        return true;
    });

    public Task StopContainerAsync(string containerId, TimeSpan grace, CancellationToken ct) => Guard($"stop container {Short(containerId)}", async () =>
    {
        await _client.Containers.StopContainerAsync(containerId, new ContainerStopParameters { WaitBeforeKillSeconds = (uint)grace.TotalSeconds }, ct).ConfigureAwait(false);
        return true;
    });

    public Task RemoveContainerAsync(string containerId, CancellationToken ct) => Guard($"remove container {Short(containerId)}", async () =>
    {
        try
        {
            await _client.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already gone: the desired outcome.
        }
        return true;
    });

    public Task RemoveNetworkAsync(string networkId, CancellationToken ct) => Guard($"remove network {Short(networkId)}", async () =>
    {
        // Right after many containers on it were removed at once, the engine (20.10) can still count one of their
        // endpoints for a moment and refuse with 403 "has active endpoints": ask again for a while before failing.
        var deadline = DateTime.UtcNow + ActiveEndpointsGrace;
        while (true)
        {
            try
            {
                await _client.Networks.DeleteNetworkAsync(networkId, ct).ConfigureAwait(false);
                return true;
            }
            catch (DockerNetworkNotFoundException)
            {
                return true;
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Forbidden
                                                && e.ResponseBody?.Contains("active endpoints", StringComparison.Ordinal) == true)
            {
                if (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
                    continue;
                }
                // Sometimes the count stays wrong until dockerd restarts (moby/moby#42119, seen here about once in 40
                // destroys of a 13-container stack): say so rather than leave the operator looking for a container.
                var network = await _client.Networks.InspectNetworkAsync(networkId, ct).ConfigureAwait(false);
                if (network.Containers is { Count: > 0 }) throw;
                throw new ContainerEngineException(
                    $"Could not remove network {network.Name}: the engine still counts an endpoint on it although no container is attached " +
                    $"(a Docker 20.10 fault, moby/moby#42119); restarting dockerd clears the count, then destroy again. Engine: {ApiMessage(e.ResponseBody)}", e);
            }
        }
    });

    private static readonly TimeSpan ActiveEndpointsGrace = TimeSpan.FromSeconds(10);

    public Task RemoveVolumeAsync(string name, CancellationToken ct) => Guard($"remove volume '{name}'", async () =>
    {
        try
        {
            await _client.Volumes.RemoveAsync(name, force: false, ct).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
        return true;
    });

    public Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, CancellationToken ct) =>
        Guard($"run '{command[0]}' in container {Short(containerId)}", async () =>
        {
            var (id, started) = await StartExecAsync(containerId, command, stdin: false, ct).ConfigureAwait(false);
            using var stream = started;
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(ct).ConfigureAwait(false);
            var inspect = await _client.Exec.InspectContainerExecAsync(id, ct).ConfigureAwait(false);
            return new ExecResult(inspect.ExitCode, stdout, stderr);
        });

    public Task<IExecConversation> StartConversationAsync(string containerId, IReadOnlyList<string> command, CancellationToken ct) =>
        Guard($"run '{command[0]}' in container {Short(containerId)}", async () =>
            (IExecConversation)new ExecConversation((await StartExecAsync(containerId, command, stdin: true, ct).ConfigureAwait(false)).Stream));

    private async Task<(string Id, MultiplexedStream Stream)> StartExecAsync(string containerId, IReadOnlyList<string> command, bool stdin, CancellationToken ct)
    {
        var exec = await _client.Exec.ExecCreateContainerAsync(containerId, new ContainerExecCreateParameters
        {
            Cmd = [.. command],
            AttachStdin = stdin,
            AttachStdout = true,
            AttachStderr = true,
        }, ct).ConfigureAwait(false);
        return (exec.ID, await _client.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false, ct).ConfigureAwait(false));
    }

    /// <summary>Docker's multiplexed exec stream as a conversation: stdout returned, stderr kept for the error message.</summary>
    private sealed class ExecConversation(MultiplexedStream stream) : IExecConversation
    {
        private readonly StringBuilder _errors = new();

        public string Errors
        {
            get { lock (_errors) return _errors.ToString(); }
        }

        public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            var bytes = data.ToArray();
            await stream.WriteAsync(bytes, 0, bytes.Length, ct).ConfigureAwait(false);
        }

        // Docker.DotNet reads into arrays; one, kept for the conversation's life (a page reads every 2 s).
        private byte[] _chunk = [];

        public async Task<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
        {
            if (_chunk.Length < buffer.Length) _chunk = new byte[buffer.Length];
            var chunk = _chunk;
            while (true)
            {
                var r = await stream.ReadOutputAsync(chunk, 0, buffer.Length, ct).ConfigureAwait(false);
                if (r.EOF) return 0;
                if (r.Target == MultiplexedStream.TargetStream.StandardOut)
                {
                    chunk.AsMemory(0, r.Count).CopyTo(buffer);
                    return r.Count;
                }
                lock (_errors) _errors.Append(Encoding.UTF8.GetString(chunk, 0, r.Count));
            }
        }

        public ValueTask DisposeAsync()
        {
            try
            {
                stream.CloseWrite();
            }
            catch (IOException)
            {
                // It ended already.
            }
            stream.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    public Task<ContainerHealth> InspectHealthAsync(string containerId, CancellationToken ct) => Guard($"inspect container {Short(containerId)}", async () =>
    {
        var inspect = await _client.Containers.InspectContainerAsync(containerId, ct).ConfigureAwait(false);
        var state = inspect.State;
        DateTimeOffset? started = DateTimeOffset.TryParse(state.StartedAt, System.Globalization.CultureInfo.InvariantCulture, out var s) && s.Year > 1 ? s : null;
        return new ContainerHealth(state.Status, state.Health?.Status, inspect.RestartCount, state.ExitCode, started);
    });

    public Task KillContainerAsync(string containerId, CancellationToken ct) => Guard($"kill container {Short(containerId)}", async () =>
    {
        await _client.Containers.KillContainerAsync(containerId, new ContainerKillParameters { Signal = "KILL" }, ct).ConfigureAwait(false);
        return true;
    });

    public Task PauseContainerAsync(string containerId, CancellationToken ct) => Guard($"pause container {Short(containerId)}", async () =>
    {
        await _client.Containers.PauseContainerAsync(containerId, ct).ConfigureAwait(false);
        return true;
    });

    public Task UnpauseContainerAsync(string containerId, CancellationToken ct) => Guard($"unpause container {Short(containerId)}", async () =>
    {
        await _client.Containers.UnpauseContainerAsync(containerId, ct).ConfigureAwait(false);
        return true;
    });

    public Task<string?> AddressOnNetworkAsync(string containerId, string network, CancellationToken ct) =>
        Guard($"read the address of container {Short(containerId)} on network '{network}'", async () =>
        {
            var inspect = await _client.Containers.InspectContainerAsync(containerId, ct).ConfigureAwait(false);
            return inspect.NetworkSettings?.Networks?.TryGetValue(network, out var n) == true && !string.IsNullOrEmpty(n.IPAddress) ? n.IPAddress : null;
        });

    public Task<ImmutableDictionary<string, string>> ReadEnvironmentAsync(string containerId, IReadOnlyCollection<string> names, CancellationToken ct) =>
        Guard($"read environment of container {Short(containerId)}", async () =>
        {
            var inspect = await _client.Containers.InspectContainerAsync(containerId, ct).ConfigureAwait(false);
            return (inspect.Config.Env ?? [])
                .Select(e => e.Split('=', 2))
                .Where(kv => kv.Length == 2 && names.Contains(kv[0]))
                .ToImmutableDictionary(kv => kv[0], kv => kv[1]);
        });

    private static EngineContainer ToContainer(ContainerListResponse c)
    {
        var labels = (c.Labels ?? new Dictionary<string, string>()).ToImmutableDictionary();
        return new EngineContainer(
            c.ID,
            c.Names.FirstOrDefault()?.TrimStart('/') ?? c.ID,
            labels.GetValueOrDefault(EngineLabels.Topology, ""),
            labels.GetValueOrDefault(EngineLabels.Node, ""),
            labels.GetValueOrDefault(EngineLabels.Role, ""),
            c.Image,
            c.ImageID,
            c.State,
            labels);
    }

    private static Dictionary<string, IDictionary<string, bool>> LabelFilter(string label) =>
        new() { ["label"] = new Dictionary<string, bool> { [label] = true } };

    private static string? LabelOf(IDictionary<string, string>? labels, string key) =>
        labels is not null && labels.TryGetValue(key, out var value) ? value : null;

    // Ids are shortened the way the docker client shows them; names (also accepted everywhere) are kept.
    private static string Short(string idOrName) =>
        idOrName.Length == 64 && idOrName.All(char.IsAsciiHexDigitLower) ? idOrName[..12] : $"'{idOrName}'";

    private async Task<T> Guard<T>(string what, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw Fail(what, e);
        }
    }

    private Task Guard(string what, Func<Task<bool>> action) => Guard<bool>(what, action);

    internal static bool IsEngineFailure(Exception e) =>
        e is DockerApiException or HttpRequestException or SocketException or IOException or TimeoutException
        || e is DockerContainerNotFoundException or DockerImageNotFoundException;

    private ContainerEngineException Fail(string what, Exception e)
    {
        var engineSays = e switch
        {
            DockerApiException api => $"{(int)api.StatusCode} {ApiMessage(api.ResponseBody)}",
            HttpRequestException or SocketException => $"engine at {Endpoint} is not reachable ({e.Message})",
            _ => e.Message,
        };
        return new ContainerEngineException($"Could not {what}: {engineSays}", e);
    }

    // The engine answers errors as {"message":"…"}; show the message, not the JSON.
    internal static string ApiMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body)) return "(no message)";
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() ?? body.Trim() : body.Trim();
        }
        catch (System.Text.Json.JsonException)
        {
            return body.Trim();
        }
    }
}
