using System.Collections.Immutable;
using Docker.DotNet.Models;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;

namespace HaPortal.Tests.Docker;

public class DockerEngineTests
{
    [Fact(Timeout = 120_000)]
    public async Task PutFiles_IntoCreatedContainer_AreThereWithTheirModeWhenItRuns()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new DeploySettings();
        var engine = await DockerTestEngine.RequireAsync(settings, ct);
        var topology = DockerTestEngine.UniqueName("adapter");
        var labels = DesiredStackBuilder.NetworkLabels(topology);
        string? containerId = null;
        try
        {
            await engine.EnsureNetworkAsync($"haportal-{topology}", labels, ct);
            containerId = await engine.CreateContainerAsync(new ContainerDefinition
            {
                Name = $"{topology}-probe",
                Hostname = "probe",
                Image = settings.LoadBalancerImage,
                Network = $"haportal-{topology}",
                Labels = ImmutableDictionary<string, string>.Empty.Add(EngineLabels.Topology, topology).Add(EngineLabels.Role, "web").Add(EngineLabels.Node, "probe"),
                Command = ["sleep", "300"],
            }, ct);

            await engine.PutFilesAsync(containerId, [new ContainerFile("/etc/haportal/probe.cfg", "line one\nline two\n", 0b110_100_000)], ct);
            await engine.StartContainerAsync(containerId, ct);

            var cat = await engine.ExecAsync(containerId, ["cat", "/etc/haportal/probe.cfg"], ct);
            var mode = await engine.ExecAsync(containerId, ["stat", "-c", "%a", "/etc/haportal/probe.cfg"], ct);
            var missing = await engine.ExecAsync(containerId, ["cat", "/nope"], ct);
            Assert.Equal("line one\nline two\n", cat.Stdout);
            Assert.Equal("640", mode.Stdout.Trim());
            Assert.False(missing.Succeeded);
            Assert.Contains("No such file", missing.Stderr);

            var observed = await engine.ObserveAsync(topology, ct);
            var container = Assert.Single(observed.Containers);
            Assert.Equal(("probe", "web", true), (container.Node, container.Role, container.IsRunning));
            Assert.Single(observed.Networks);
        }
        finally
        {
            if (containerId is not null) await engine.RemoveContainerAsync(containerId, ct);
            foreach (var network in (await engine.ObserveAsync(topology, ct)).Networks) await engine.RemoveNetworkAsync(network.Id, ct);
        }
        Assert.True((await engine.ObserveAsync(topology, ct)).IsEmpty);
    }

    [Fact(Timeout = 120_000)]
    public async Task Destroy_LeavesAContainerWithoutThePortalsLabelsAlone()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new DeploySettings();
        var engine = await DockerTestEngine.RequireAsync(settings, ct);
        var topology = DockerTestEngine.UniqueName("stranger");
        var client = DockerClients.For(engine.Endpoint);
        // Named like a node of the topology, but unlabelled: the portal must not see or touch it.
        var stranger = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"{topology}-web1",
            Image = settings.LoadBalancerImage,
            Cmd = ["sleep", "300"],
        }, ct);
        try
        {
            var deployer = new StackDeployer(engine, settings, TimeProvider.System);
            var plan = await deployer.PlanDestroyAsync(topology, includeVolumes: true, ct);
            await foreach (var _ in deployer.DestroyAsync(plan, ct)) { }

            Assert.True(plan.IsEmpty);
            Assert.DoesNotContain(topology, await engine.ListTopologiesAsync(ct));
            var inspect = await client.Containers.InspectContainerAsync(stranger.ID, ct);
            Assert.Equal($"/{topology}-web1", inspect.Name);
        }
        finally
        {
            await engine.RemoveContainerAsync(stranger.ID, ct);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task ConnectNetwork_WithAliases_ResolvesTheAliasToTheHolderAndMovesWithDisconnect()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new DeploySettings();
        var engine = await DockerTestEngine.RequireAsync(settings, ct);
        var topology = DockerTestEngine.UniqueName("alias");
        var (network, sql) = (DesiredStackBuilder.NetworkName(topology), DesiredStackBuilder.SqlNetworkName(topology));
        try
        {
            await engine.EnsureNetworkAsync(network, DesiredStackBuilder.NetworkLabels(topology), ct);
            await engine.EnsureNetworkAsync(sql, DesiredStackBuilder.NetworkLabels(topology), ct);
            foreach (var node in new[] { "a", "b", "client" })
            {
                await engine.CreateContainerAsync(new ContainerDefinition
                {
                    Name = $"{topology}-{node}",
                    Hostname = node,
                    Image = settings.LoadBalancerImage,
                    Network = network,
                    NetworkAliases = [node],
                    Labels = ImmutableDictionary<string, string>.Empty.Add(EngineLabels.Topology, topology).Add(EngineLabels.Role, "web").Add(EngineLabels.Node, node),
                    Command = ["sleep", "300"],
                }, ct);
                // Joined before start, as the executor does for a new container.
                await engine.ConnectNetworkAsync(sql, $"{topology}-{node}", node == "a" ? [DesiredStackBuilder.WriterAlias] : [], ct);
                await engine.StartContainerAsync($"{topology}-{node}", ct);
            }
            // Changing a running container's aliases: leave, then join again with the new ones.
            await engine.DisconnectNetworkAsync(sql, $"{topology}-b", ct);
            await engine.ConnectNetworkAsync(sql, $"{topology}-b", [DesiredStackBuilder.ReaderAlias], ct);

            var observed = (await engine.ObserveAsync(topology, ct)).Containers.ToDictionary(c => c.Node);
            Assert.Contains(DesiredStackBuilder.WriterAlias, observed["a"].NetworkAliases[sql]);
            Assert.Contains(DesiredStackBuilder.ReaderAlias, observed["b"].NetworkAliases[sql]);
            Assert.Contains("a", observed["a"].NetworkAliases[network]);
            Assert.Equal(await AddressOn($"{topology}-a"), await Resolve(engine, topology, DesiredStackBuilder.WriterAlias, ct));

            // A failover's move: the writer alias leaves a and lands on b.
            await engine.DisconnectNetworkAsync(sql, $"{topology}-a", ct);
            await engine.ConnectNetworkAsync(sql, $"{topology}-a", [DesiredStackBuilder.ReaderAlias], ct);
            await engine.DisconnectNetworkAsync(sql, $"{topology}-b", ct);
            await engine.ConnectNetworkAsync(sql, $"{topology}-b", [DesiredStackBuilder.WriterAlias], ct);

            Assert.Equal(await AddressOn($"{topology}-b"), await Resolve(engine, topology, DesiredStackBuilder.WriterAlias, ct));
            Assert.Equal(await AddressOn($"{topology}-a"), await Resolve(engine, topology, DesiredStackBuilder.ReaderAlias, ct));
            // Leaving a network the container is not on is not an error.
            await engine.DisconnectNetworkAsync(sql, $"{topology}-a", ct);
            await engine.DisconnectNetworkAsync(sql, $"{topology}-a", ct);
        }
        finally
        {
            var deployer = new StackDeployer(engine, settings, TimeProvider.System);
            await foreach (var _ in deployer.DestroyAsync(await deployer.PlanDestroyAsync(topology, includeVolumes: true, CancellationToken.None), CancellationToken.None)) { }
        }
        Assert.True((await engine.ObserveAsync(topology, ct)).IsEmpty);

        async Task<string> AddressOn(string container) =>
            (await DockerClients.For(engine.Endpoint).Containers.InspectContainerAsync(container, ct)).NetworkSettings.Networks[sql].IPAddress;
    }

    /// <summary>The addresses the engine's DNS gives the client container for a name on the sql network (sorted, space separated).</summary>
    private static async Task<string> Resolve(IContainerEngine engine, string topology, string name, CancellationToken ct)
    {
        var r = await engine.ExecAsync($"{topology}-client", ["getent", "ahostsv4", name], ct);
        Assert.True(r.Succeeded, $"{name} did not resolve: {r.Stderr}");
        return string.Join(' ', r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).Distinct().Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task CreateContainer_WithAHealthCheckInterval_RunsTheImagesCheckAtThatInterval()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new DeploySettings();
        var engine = await DockerTestEngine.RequireAsync(settings, ct);
        // Shared with the engine (one client per endpoint): not disposed here.
        var docker = DockerClients.For(new Uri($"unix://{DockerTestEngine.Socket}"));
        var name = DockerTestEngine.UniqueName("healthcheck");
        var image = (await docker.Images.InspectImageAsync(settings.DatabaseImage, ct)).Config.Healthcheck;
        Assert.NotEmpty(image.Test);
        try
        {
            var id = await engine.CreateContainerAsync(new ContainerDefinition
            {
                Name = name,
                Hostname = "x",
                Image = settings.DatabaseImage,
                Network = "bridge",
                HealthCheckInterval = TimeSpan.FromSeconds(15),
            }, ct);

            var check = (await docker.Containers.InspectContainerAsync(id, ct)).Config.Healthcheck;
            Assert.Equal(TimeSpan.FromSeconds(15), check.Interval);
            // Everything else is the image's own check.
            Assert.Equal(image.Test, check.Test);
            Assert.Equal(image.Timeout, check.Timeout);
            Assert.Equal(image.StartPeriod, check.StartPeriod);
        }
        finally
        {
            await engine.RemoveContainerAsync(name, CancellationToken.None);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task CreateContainer_FromAnAbsentImage_SaysWhichContainerAndImage()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = await DockerTestEngine.RequireAsync(new DeploySettings(), ct);

        var error = await Assert.ThrowsAsync<ContainerEngineException>(() => engine.CreateContainerAsync(new ContainerDefinition
        {
            Name = DockerTestEngine.UniqueName("absent"),
            Hostname = "x",
            Image = "haportal/does-not-exist:never",
            Network = "bridge",
        }, ct));

        Assert.Contains("haportal/does-not-exist:never", error.Message);
        Assert.Contains("create container", error.Message);
        Assert.Null(await engine.ImageIdAsync("haportal/does-not-exist:never", ct));
    }
}
