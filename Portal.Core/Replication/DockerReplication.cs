using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;

namespace HaPortal.Core.Replication;

/// <summary>
/// Without a SQL router, web nodes write to <see cref="DesiredStackBuilder.WriterAlias"/> and read from
/// <see cref="DesiredStackBuilder.ReaderAlias"/> on the stack's sql network: moving the writer is moving those aliases
/// (leave the network and join again with the new ones). The stored topology then names the same primary as the aliases,
/// so the next plan is empty (docs/decisions/0012-failover-on-docker-moves-network-aliases.md).
/// </summary>
public sealed class DockerRoutingSwitch(IContainerEngine engine) : IRoutingSwitch
{
    public async Task<RoutingResult> MoveWriterAsync(ReplicationCluster cluster, ClusterNode oldPrimary, ClusterNode newPrimary, CancellationToken ct)
    {
        var network = DesiredStackBuilder.SqlNetworkName(cluster.Topology);
        string Container(ClusterNode n) => DesiredStackBuilder.ContainerName(cluster.Topology, n.Name);
        IReadOnlyList<string> newAliases = cluster.Nodes.Length == 1
            ? [DesiredStackBuilder.WriterAlias, DesiredStackBuilder.ReaderAlias]
            : [DesiredStackBuilder.WriterAlias];
        try
        {
            var oldRuns = (await engine.InspectHealthAsync(Container(oldPrimary), ct).ConfigureAwait(false)).IsRunning;
            if (oldRuns)
            {
                // Switchover: the old primary is read-only, so db-writer may name both for a moment (a write that reaches
                // the old one fails at once with "read-only" and is retried). The new primary takes the alias first, so
                // writes resume before the old one leaves; taking the old one off first left web nodes connecting to a
                // vanished address, which is not refused but unanswered until their connect timeout (≈ 1 s per switchover).
                await engine.DisconnectNetworkAsync(network, Container(newPrimary), ct).ConfigureAwait(false);
                await engine.ConnectNetworkAsync(network, Container(newPrimary), newAliases, ct).ConfigureAwait(false);
                await engine.DisconnectNetworkAsync(network, Container(oldPrimary), ct).ConfigureAwait(false);
                await engine.ConnectNetworkAsync(network, Container(oldPrimary), [DesiredStackBuilder.ReaderAlias], ct).ConfigureAwait(false);
            }
            else
            {
                // A dead or frozen old primary stays off the network: as db-reader it would swallow reads. It joins again
                // when it is brought back (DockerRestore) or by the next apply.
                await Task.WhenAll(
                    engine.DisconnectNetworkAsync(network, Container(oldPrimary), ct),
                    engine.DisconnectNetworkAsync(network, Container(newPrimary), ct)).ConfigureAwait(false);
                await engine.ConnectNetworkAsync(network, Container(newPrimary), newAliases, ct).ConfigureAwait(false);
            }
            return new(true, $"{DesiredStackBuilder.WriterAlias} on {network} moved from {oldPrimary.Name} to {newPrimary.Name}; " +
                (oldRuns ? $"{oldPrimary.Name} is {DesiredStackBuilder.ReaderAlias}" : $"{oldPrimary.Name} does not run and stays off the network"));
        }
        catch (ContainerEngineException e)
        {
            return new(false, e.Message);
        }
    }
}

/// <summary>
/// Fences a database container: one that is not running (killed, stopped) or is paused takes no writes already; a
/// running one is paused. Confirmed only by inspecting the container afterwards.
/// </summary>
public sealed class DockerFencing(IContainerEngine engine, string topology) : IFencing
{
    public async Task<FenceResult> FenceAsync(ClusterNode node, CancellationToken ct)
    {
        var container = DesiredStackBuilder.ContainerName(topology, node.Name);
        try
        {
            var state = (await engine.InspectHealthAsync(container, ct).ConfigureAwait(false)).State;
            var paused = false;
            if (state == "running")
            {
                await engine.PauseContainerAsync(container, ct).ConfigureAwait(false);
                state = (await engine.InspectHealthAsync(container, ct).ConfigureAwait(false)).State;
                paused = true;
            }
            // Off the sql network too: db-writer must stop leading to it at once (a connect to a dead address hangs
            // until the client's timeout; a name that resolves to nothing fails at once and is retried).
            var network = DesiredStackBuilder.SqlNetworkName(topology);
            await engine.DisconnectNetworkAsync(network, container, ct).ConfigureAwait(false);
            var off = await engine.AddressOnNetworkAsync(container, network, ct).ConfigureAwait(false) is null;
            var stopped = state is "paused" or "exited" or "dead" or "created";
            return new(stopped && off, "container", $"container {container} {(paused ? "paused, now " : "is ")}{state}{(off ? $", off {network}" : $", still on {network}")}");
        }
        catch (ContainerEngineException e)
        {
            return new(false, "container", e.Message);
        }
    }
}

/// <summary>A drill's disruption of a deployed primary: <c>docker kill</c> (SIGKILL, not restarted) or <c>docker pause</c>.</summary>
public sealed class DockerDisruption(IContainerEngine engine, string topology) : IPrimaryDisruption
{
    public async Task<string> DisruptAsync(ClusterNode primary, DrillKind kind, CancellationToken ct)
    {
        var container = DesiredStackBuilder.ContainerName(topology, primary.Name);
        if (kind == DrillKind.Kill) await engine.KillContainerAsync(container, ct).ConfigureAwait(false);
        else await engine.PauseContainerAsync(container, ct).ConfigureAwait(false);
        return $"docker {(kind == DrillKind.Kill ? "kill" : "pause")} {container}";
    }
}

/// <summary>
/// Brings a disrupted container back: a paused one is unpaused, a killed one started; then waits until its server
/// answers (it boots read-only, my.cnf). The rejoin that follows makes it a replica of the new primary.
/// </summary>
public sealed class DockerRestore(IContainerEngine engine, string topology, TimeProvider time) : IPrimaryRestore
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(90);

    public async Task<string?> RestoreAsync(ClusterNode node, DrillKind kind, CancellationToken ct)
    {
        var container = DesiredStackBuilder.ContainerName(topology, node.Name);
        try
        {
            var state = (await engine.InspectHealthAsync(container, ct).ConfigureAwait(false)).State;
            if (state == "paused") await engine.UnpauseContainerAsync(container, ct).ConfigureAwait(false);
            else if (state != "running") await engine.StartContainerAsync(container, ct).ConfigureAwait(false);
            var started = time.GetTimestamp();
            while (true)
            {
                var r = await engine.ExecAsync(container, ["mariadb", "--batch", "--skip-column-names", "-e", "SELECT 1"], ct).ConfigureAwait(false);
                if (r.Succeeded && r.Stdout.Trim() == "1")
                {
                    // Back on the sql network as a reader (fencing took it off); it boots read-only and the rejoin that
                    // follows makes it replicate before anything else changes.
                    var network = DesiredStackBuilder.SqlNetworkName(topology);
                    if (await engine.AddressOnNetworkAsync(container, network, ct).ConfigureAwait(false) is null)
                        await engine.ConnectNetworkAsync(network, container, [DesiredStackBuilder.ReaderAlias], ct).ConfigureAwait(false);
                    return null;
                }
                if (time.GetElapsedTime(started) > Timeout) return $"{container} did not answer SQL within {Timeout.TotalSeconds:0} s: {r.Stderr.Trim()}";
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, ct).ConfigureAwait(false);
            }
        }
        catch (ContainerEngineException e)
        {
            return e.Message;
        }
    }
}

/// <summary>
/// The adapter for deployed databases: before talking SQL to a node it asks the engine whether the container runs. A
/// killed or paused container is unreachable at once, instead of after a TCP connect timeout to an address nobody
/// answers any more; so a failure is detected within the monitor's check interval.
/// </summary>
public sealed class DockerAwareReplicationControl(IReplicationControl inner, IContainerEngine engine, string topology) : IReplicationControl
{
    private async Task<string?> NotRunningAsync(DbEndpoint node, CancellationToken ct)
    {
        var container = DesiredStackBuilder.ContainerName(topology, node.Name);
        try
        {
            var state = (await engine.InspectHealthAsync(container, ct).ConfigureAwait(false)).State;
            return state == "running" ? null : $"container {container} is {state}";
        }
        catch (ContainerEngineException e)
        {
            return e.Message;
        }
    }

    private async Task GuardAsync(DbEndpoint node, string what, CancellationToken ct)
    {
        if (await NotRunningAsync(node, ct).ConfigureAwait(false) is { } why)
            throw new ReplicationCommandException(node.Name, what, new InvalidOperationException(why));
    }

    public async Task<NodeStatus> GetStatusAsync(DbEndpoint node, CancellationToken ct) =>
        await NotRunningAsync(node, ct).ConfigureAwait(false) is { } why ? NodeStatus.Unreachable(node, why) : await inner.GetStatusAsync(node, ct).ConfigureAwait(false);

    public async Task SetReadOnlyAsync(DbEndpoint node, bool readOnly, CancellationToken ct)
    {
        await GuardAsync(node, $"SET GLOBAL read_only = {(readOnly ? "ON" : "OFF")}", ct).ConfigureAwait(false);
        await inner.SetReadOnlyAsync(node, readOnly, ct).ConfigureAwait(false);
    }

    public async Task<int> KillClientConnectionsAsync(DbEndpoint node, CancellationToken ct)
    {
        await GuardAsync(node, "KILL CONNECTION", ct).ConfigureAwait(false);
        return await inner.KillClientConnectionsAsync(node, ct).ConfigureAwait(false);
    }

    public async Task<bool> WaitForPositionAsync(DbEndpoint node, string position, TimeSpan timeout, CancellationToken ct)
    {
        await GuardAsync(node, "MASTER_GTID_WAIT", ct).ConfigureAwait(false);
        return await inner.WaitForPositionAsync(node, position, timeout, ct).ConfigureAwait(false);
    }

    public async Task PromoteAsync(DbEndpoint node, CancellationToken ct)
    {
        await GuardAsync(node, "promote", ct).ConfigureAwait(false);
        await inner.PromoteAsync(node, ct).ConfigureAwait(false);
    }

    public async Task ReplicateFromAsync(DbEndpoint node, DbEndpoint source, CancellationToken ct)
    {
        await GuardAsync(node, "CHANGE MASTER", ct).ConfigureAwait(false);
        await inner.ReplicateFromAsync(node, source, ct).ConfigureAwait(false);
    }

    public async Task StartReplicationAsync(DbEndpoint node, CancellationToken ct)
    {
        await GuardAsync(node, "START SLAVE", ct).ConfigureAwait(false);
        await inner.StartReplicationAsync(node, ct).ConfigureAwait(false);
    }

    public async Task StopReplicationAsync(DbEndpoint node, CancellationToken ct)
    {
        await GuardAsync(node, "STOP SLAVE", ct).ConfigureAwait(false);
        await inner.StopReplicationAsync(node, ct).ConfigureAwait(false);
    }
}

/// <summary>
/// Finds a topology's deployed database containers (labelled by the deploy) and builds the replication services for
/// them: endpoints at each container's address on the stack network (the portal runs on the Docker host), replicas
/// reaching each other by node name, the portal's admin login and the replication login from the containers'
/// environment, Docker-aware fencing and alias routing, and for drills the load balancer's published port.
/// </summary>
public sealed class DockerReplication(IContainerEngine engine, DeploySettings settings, Persistence.TopologyStore store, Audit.AuditLog audit, TimeProvider time)
{
    /// <summary>
    /// The replication target of a deployed topology, or null when the engine holds no database container of it (or
    /// cannot be reached): the caller then uses the configured endpoints.
    /// </summary>
    public async Task<(ReplicationTarget Target, DrillSetup? Drill)?> ResolveAsync(string topology, CancellationToken ct)
    {
        var stored = await store.GetAsync(topology, ct: ct).ConfigureAwait(false);
        if (stored is null) return null;
        ObservedStack observed;
        try { observed = await engine.ObserveAsync(topology, ct).ConfigureAwait(false); }
        catch (ContainerEngineException) { return null; }
        var databases = observed.Containers.Where(c => c.Role == DesiredStackBuilder.DatabaseRoleLabel).ToList();
        if (databases.Count == 0) return null;

        var problems = new List<(string, string)>();
        var network = DesiredStackBuilder.NetworkName(topology);
        var endpoints = new Dictionary<string, DbEndpoint>(StringComparer.Ordinal);
        foreach (var c in databases)
        {
            var address = c.IsRunning ? await engine.AddressOnNetworkAsync(c.Id, network, ct).ConfigureAwait(false) : null;
            // A container that does not run has no address; the Docker-aware adapter answers for it without connecting.
            endpoints[c.Node] = new DbEndpoint(c.Node, address ?? c.Name, Rendering.StackPorts.Database)
            {
                ReplicationHost = c.Node, ReplicationPort = Rendering.StackPorts.Database,
            };
        }
        var field = $"deploy:{topology}";
        var (cluster, clusterProblems) = ReplicationCluster.From(stored.Spec, endpoints);
        problems.AddRange(clusterProblems.Select(p => (field, p)));
        var env = await engine.ReadEnvironmentAsync(databases[0].Id, [StackSecrets.AdminVariable, StackSecrets.ReplicationVariable], ct).ConfigureAwait(false);
        if (!env.TryGetValue(StackSecrets.AdminVariable, out var adminPassword))
            problems.Add((field, $"the database containers of '{topology}' were deployed without the portal's admin login; apply the topology again."));
        if (!env.TryGetValue(StackSecrets.ReplicationVariable, out var replPassword))
            problems.Add((field, $"the database containers of '{topology}' carry no replication password."));
        if (problems.Count > 0 || cluster is null) return (new ReplicationTarget(null, null, true, problems), null);

        var credentials = new ReplicationCredentials(BootstrapSql.AdminUser, adminPassword!, BootstrapSql.ReplicationUser, replPassword!);
        var control = new DockerAwareReplicationControl(new MySqlReplicationControl(credentials, cluster.Flavor), engine, topology);
        // read_only first where the server still answers (least disruptive); otherwise the container itself.
        var fencing = new FirstConfirmedFencing(new ReadOnlyFencing(control), new DockerFencing(engine, topology));
        var operations = new ReplicationOperations(control, fencing, new DockerRoutingSwitch(engine), time, null, store, audit);
        var target = new ReplicationTarget(cluster, operations, true, [], control);

        // Drills write through the load balancer's published port, as visitors do; rows are counted as the admin login.
        var lb = stored.Spec.LoadBalancer;
        var host = settings.PublishAddress is "0.0.0.0" or "" ? "127.0.0.1" : settings.PublishAddress;
        string Admin(DbEndpoint e) => new MySqlConnector.MySqlConnectionStringBuilder
        {
            Server = e.Host, Port = (uint)e.Port, UserID = credentials.AdminUser, Password = credentials.AdminPassword, ConnectionTimeout = 2, Pooling = false,
        }.ConnectionString;
        var schema = stored.Spec.Database.AppSchema;
        var drill = new DrillSetup(operations, control, null, Admin, schema, new DockerDisruption(engine, topology), new DockerRestore(engine, topology, time),
            Writer: _ => new HttpCommentDrillWriter(new Uri($"http://{host}:{lb.PublishPort}"), Admin, schema), RestoreAfterLastRun: true);
        return (target, drill);
    }
}

/// <summary>
/// Replication of a stored topology: its deployed containers when the engine has them (<see cref="DockerReplication"/>),
/// otherwise the endpoints in settings (<see cref="ConfiguredReplication"/>).
/// </summary>
public sealed class DeployedReplication(ConfiguredReplication configured, DockerReplication? docker) : IReplicationResolver
{
    public async Task<ReplicationTarget> ResolveAsync(string topology, CancellationToken ct) =>
        (docker is null ? null : await docker.ResolveAsync(topology, ct).ConfigureAwait(false)) is { } d ? d.Target
            : await configured.ResolveAsync(topology, ct).ConfigureAwait(false);

    public async Task<(DrillSetup? Setup, ReplicationTarget Target, IReadOnlyList<(string Field, string Message)> Problems)> ResolveDrillAsync(
        string topology, DrillKind kind, CancellationToken ct)
    {
        if ((docker is null ? null : await docker.ResolveAsync(topology, ct).ConfigureAwait(false)) is not { } d)
            return await configured.ResolveDrillAsync(topology, kind, ct).ConfigureAwait(false);
        return (d.Drill, d.Target, d.Target.Problems);
    }
}
