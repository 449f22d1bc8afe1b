using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace HaPortal.Core.Docker;

/// <summary><see cref="ISwarmEngine"/> over Docker.DotNet, on the same cached client as <see cref="DockerEngine"/>.</summary>
public sealed class DockerSwarmEngine(ContainerEngineOptions options) : ISwarmEngine
{
    private readonly DockerClient _client = DockerClients.For(options.Endpoint);

    public Uri Endpoint => options.Endpoint;

    public Task<string?> LocalNodeIdAsync(CancellationToken ct) => Guard("read the engine's Swarm state", async () =>
    {
        var info = await _client.System.GetSystemInfoAsync(ct).ConfigureAwait(false);
        return info.Swarm is { LocalNodeState: "active", NodeID: { Length: > 0 } id } ? id : null;
    });

    public Task<ImmutableArray<SwarmNode>> ListNodesAsync(CancellationToken ct) => Guard("list the Swarm's nodes", async () =>
    {
        var nodes = await _client.Swarm.ListNodesAsync(ct).ConfigureAwait(false);
        return nodes
            .Select(n => new SwarmNode(n.ID, n.Description?.Hostname ?? n.ID,
                string.Equals(n.Status?.State.ToString(), "ready", StringComparison.OrdinalIgnoreCase),
                string.Equals(n.Spec?.Availability.ToString(), "active", StringComparison.OrdinalIgnoreCase)))
            .OrderBy(n => n.Hostname, StringComparer.Ordinal).ThenBy(n => n.Id, StringComparer.Ordinal)
            .ToImmutableArray();
    });

    public Task<ObservedSwarmStack> ObserveAsync(string topology, CancellationToken ct) => Guard($"list Swarm objects of topology '{topology}'", async () =>
    {
        var owned = (await _client.Swarm.ListServicesAsync(null, ct).ConfigureAwait(false))
            .Where(s => LabelOf(s.Spec.Labels, EngineLabels.Topology) == topology)
            .ToList();
        var services = ImmutableArray.CreateBuilder<EngineService>(owned.Count);
        foreach (var s in owned)
        {
            var newest = (await ListTasksAsync(s.ID, ct).ConfigureAwait(false)).FirstOrDefault(t => t.DesiredState == "running");
            services.Add(ToService(s) with { TaskState = newest?.State });
        }
        var configs = (await _client.Configs.ListConfigsAsync(ct).ConfigureAwait(false))
            .Where(c => LabelOf(c.Spec.Labels, EngineLabels.Topology) == topology)
            .Select(c => new EngineConfig(c.ID, c.Spec.Name, LabelOf(c.Spec.Labels, EngineLabels.Node)))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToImmutableArray();
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{EngineLabels.Topology}={topology}"] = true } };
        var networks = await _client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }, ct).ConfigureAwait(false);
        var volumes = await _client.Volumes.ListAsync(new VolumesListParameters { Filters = filter }, ct).ConfigureAwait(false);
        return new ObservedSwarmStack(
            topology,
            [.. services.OrderBy(s => s.Name, StringComparer.Ordinal)],
            configs,
            [.. networks.Where(n => n.Scope == "swarm").Select(n => new EngineNetwork(n.ID, n.Name, topology)).OrderBy(n => n.Name, StringComparer.Ordinal)],
            [.. (volumes.Volumes ?? []).Select(v => new EngineVolume(v.Name, topology, LabelOf(v.Labels, EngineLabels.Node))).OrderBy(v => v.Name, StringComparer.Ordinal)]);
    });

    public Task<ImmutableArray<string>> ListTopologiesAsync(CancellationToken ct) => Guard("list Swarm topologies", async () =>
    {
        var services = await _client.Swarm.ListServicesAsync(null, ct).ConfigureAwait(false);
        var configs = await _client.Configs.ListConfigsAsync(ct).ConfigureAwait(false);
        var networks = await _client.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [EngineLabels.Topology] = true } },
        }, ct).ConfigureAwait(false);
        return services.Select(s => LabelOf(s.Spec.Labels, EngineLabels.Topology))
            .Concat(configs.Select(c => LabelOf(c.Spec.Labels, EngineLabels.Topology)))
            .Concat(networks.Where(n => n.Scope == "swarm").Select(n => LabelOf(n.Labels, EngineLabels.Topology)))
            .OfType<string>().Distinct().Order(StringComparer.Ordinal).ToImmutableArray();
    });

    public Task<string> EnsureOverlayNetworkAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct) =>
        Guard($"create overlay network '{name}'", async () =>
        {
            var existing = await _client.Networks.ListNetworksAsync(new NetworksListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [name] = true } },
            }, ct).ConfigureAwait(false);
            if (existing.FirstOrDefault(n => n.Name == name) is { } found)
            {
                if (LabelOf(found.Labels, EngineLabels.Topology) != labels.GetValueOrDefault(EngineLabels.Topology) || found.Driver != "overlay")
                    throw new ContainerEngineException($"Network '{name}' exists but is not an overlay network of topology '{labels.GetValueOrDefault(EngineLabels.Topology)}'; it is left alone. Remove or rename it.");
                return found.ID;
            }
            var created = await _client.Networks.CreateNetworkAsync(new NetworksCreateParameters
            {
                Name = name,
                Driver = "overlay",
                // Attachable, so an operator (or a test) can run a one-off container on the stack's network.
                Attachable = true,
                Labels = labels.ToDictionary(),
            }, ct).ConfigureAwait(false);
            return created.ID;
        });

    public Task EnsureConfigAsync(string name, string content, IReadOnlyDictionary<string, string> labels, CancellationToken ct) =>
        Guard($"create config '{name}'", async () =>
        {
            var existing = await _client.Configs.ListConfigsAsync(ct).ConfigureAwait(false);
            if (existing.Any(c => c.Spec.Name == name)) return true;
            await _client.Configs.CreateConfigAsync(new SwarmCreateConfigParameters
            {
                Config = new SwarmConfigSpec { Name = name, Labels = labels.ToDictionary(), Data = Encoding.UTF8.GetBytes(content) },
            }, ct).ConfigureAwait(false);
            return true;
        });

    public Task RemoveConfigAsync(string idOrName, CancellationToken ct) => Guard($"remove config '{idOrName}'", async () =>
    {
        try
        {
            await _client.Configs.RemoveConfigAsync(idOrName, ct).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
        return true;
    });

    public Task<string> CreateServiceAsync(ServiceDefinition d, CancellationToken ct) =>
        Guard($"create service '{d.Name}' from image '{d.Image}'", async () =>
        {
            var spec = await SpecAsync(d, ct).ConfigureAwait(false);
            var created = await _client.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = spec }, ct).ConfigureAwait(false);
            return created.ID;
        });

    public Task UpdateServiceAsync(string serviceId, ulong version, ServiceDefinition d, CancellationToken ct) =>
        Guard($"update service '{d.Name}'", async () =>
        {
            var spec = await SpecAsync(d, ct).ConfigureAwait(false);
            await _client.Swarm.UpdateServiceAsync(serviceId, new ServiceUpdateParameters { Service = spec, Version = (long)version }, ct).ConfigureAwait(false);
            return true;
        });

    public Task RemoveServiceAsync(string serviceId, CancellationToken ct) => Guard($"remove service '{serviceId}'", async () =>
    {
        try
        {
            await _client.Swarm.RemoveServiceAsync(serviceId, ct).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
        return true;
    });

    public Task<int> LocalTaskContainersAsync(string serviceId, CancellationToken ct) => Guard($"list task containers of service '{serviceId}'", async () =>
    {
        var containers = await _client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"com.docker.swarm.service.id={serviceId}"] = true } },
        }, ct).ConfigureAwait(false);
        return containers.Count;
    });

    public Task<ImmutableArray<SwarmTask>> ListTasksAsync(string service, CancellationToken ct) => Guard($"list tasks of service '{service}'", async () =>
    {
        string serviceId;
        try
        {
            serviceId = (await _client.Swarm.InspectServiceAsync(service, ct).ConfigureAwait(false)).ID;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return ImmutableArray<SwarmTask>.Empty;
        }
        var tasks = await _client.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [serviceId] = true } },
        }, ct).ConfigureAwait(false);
        return tasks
            // The filter also matches by name prefix; keep exactly this service's tasks.
            .Where(t => t.ServiceID == serviceId)
            .Select(t => new SwarmTask(
                t.ID,
                t.ServiceID,
                t.NodeID ?? "",
                t.Status?.State.ToString().ToLowerInvariant() ?? "unknown",
                t.DesiredState.ToString().ToLowerInvariant(),
                t.Status?.ContainerStatus?.ContainerID is { Length: > 0 } cid ? cid : null,
                t.Status?.Err is { Length: > 0 } err ? err : null,
                new DateTimeOffset(DateTime.SpecifyKind(t.CreatedAt, DateTimeKind.Utc))))
            .OrderByDescending(t => t.CreatedAt)
            .ToImmutableArray();
    });

    private async Task<ServiceSpec> SpecAsync(ServiceDefinition d, CancellationToken ct)
    {
        // A service names its configs by id as well as by name.
        var configIds = (await _client.Configs.ListConfigsAsync(ct).ConfigureAwait(false)).ToDictionary(c => c.Spec.Name, c => c.ID);
        return new ServiceSpec
        {
            Name = d.Name,
            Labels = d.Labels.ToDictionary(),
            Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 1 } },
            TaskTemplate = new TaskSpec
            {
                ContainerSpec = new ContainerSpec
                {
                    Image = d.Image,
                    Hostname = d.Hostname,
                    Labels = d.Labels.ToDictionary(),
                    Env = [.. d.Environment.Concat(d.SecretEnvironment).Select(kv => $"{kv.Key}={kv.Value}")],
                    Mounts = [.. d.Volumes.Select(v => new Mount
                    {
                        Type = "volume",
                        Source = v.Volume,
                        Target = v.ContainerPath,
                        VolumeOptions = new VolumeOptions { Labels = v.Labels.ToDictionary() },
                    })],
                    Configs = [.. d.Configs.Select(c => new SwarmConfigReference
                    {
                        ConfigName = c.ConfigName,
                        ConfigID = configIds.TryGetValue(c.ConfigName, out var id)
                            ? id
                            : throw new ContainerEngineException($"Config '{c.ConfigName}' of service '{d.Name}' does not exist."),
                        File = new ConfigReferenceFileTarget { Name = c.Path, UID = "0", GID = "0", Mode = (uint)c.Mode },
                    })],
                },
                Placement = new Placement { Constraints = [.. d.Constraints] },
                Networks = [.. d.Networks.Select(n => new NetworkAttachmentConfig { Target = n.Network, Aliases = [.. n.Aliases] })],
                RestartPolicy = new SwarmRestartPolicy { Condition = "any", Delay = 2_000_000_000 },
                ForceUpdate = d.ForceUpdate,
            },
            // DNS round robin, not a virtual IP: each service has one task, so its name answers with that task's address,
            // and nothing depends on IPVS (which the routing mesh and VIPs need, and some kernels lack).
            EndpointSpec = new EndpointSpec
            {
                Mode = "dnsrr",
                Ports = [.. d.Ports.Select(p => new PortConfig
                {
                    Protocol = "tcp",
                    TargetPort = (uint)p.ContainerPort,
                    PublishedPort = (uint)p.HostPort,
                    // On the Swarm node that runs the task (a dnsrr service cannot use the routing mesh).
                    PublishMode = "host",
                })],
            },
        };
    }

    private static EngineService ToService(SwarmService s)
    {
        var labels = (s.Spec.Labels ?? new Dictionary<string, string>()).ToImmutableDictionary();
        var container = s.Spec.TaskTemplate?.ContainerSpec;
        return new EngineService(
            s.ID,
            s.Spec.Name,
            labels.GetValueOrDefault(EngineLabels.Node, ""),
            labels.GetValueOrDefault(EngineLabels.Role, ""),
            s.Version?.Index ?? 0,
            labels,
            [.. s.Spec.TaskTemplate?.Placement?.Constraints ?? []],
            [.. (container?.Configs ?? []).Select(c => c.ConfigName)],
            (container?.Env ?? []).Select(e => e.Split('=', 2)).Where(kv => kv.Length == 2)
                .GroupBy(kv => kv[0]).ToImmutableDictionary(g => g.Key, g => g.Last()[1]),
            ForceUpdate: s.Spec.TaskTemplate?.ForceUpdate ?? 0);
    }

    private static string? LabelOf(IDictionary<string, string>? labels, string key) =>
        labels is not null && labels.TryGetValue(key, out var value) ? value : null;

    private async Task<T> Guard<T>(string what, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (DockerEngine.IsEngineFailure(e))
        {
            var engineSays = e switch
            {
                DockerApiException api => $"{(int)api.StatusCode} {DockerEngine.ApiMessage(api.ResponseBody)}",
                HttpRequestException or SocketException => $"engine at {Endpoint} is not reachable ({e.Message})",
                _ => e.Message,
            };
            throw new ContainerEngineException($"Could not {what}: {engineSays}", e);
        }
    }

    private Task Guard(string what, Func<Task<bool>> action) => Guard<bool>(what, action);
}
