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
