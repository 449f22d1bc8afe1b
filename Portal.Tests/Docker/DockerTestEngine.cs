using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Docker;

/// <summary>
/// The real local engine and the role images, required the way CI needs them: skipped on a laptop
/// without them, failing in CI. Tests never build images: scripts/build-images.sh runs before the tests.
/// </summary>
public static class DockerTestEngine
{
    public const string Socket = "/var/run/docker.sock";

    public static async Task<DockerEngine> RequireAsync(DeploySettings settings, CancellationToken ct)
    {
        Prerequisite.Require(File.Exists(Socket), $"the Docker engine ({Socket}; run scripts/start-docker.sh)");
        var engine = new DockerEngine(new ContainerEngineOptions());
        foreach (var image in new[] { settings.LoadBalancerImage, settings.WebImage, settings.DatabaseImage })
            Prerequisite.Require(await engine.ImageIdAsync(image, ct) is not null, $"the image {image} (run scripts/build-images.sh)");
        return engine;
    }

    /// <summary>
    /// The local engine as a Swarm manager (scripts/start-docker.sh makes it a one-node Swarm), with the role images:
    /// skipped on a laptop without one, failing in CI.
    /// </summary>
    public static async Task<(DockerEngine Engine, DockerSwarmEngine Swarm)> RequireSwarmAsync(DeploySettings settings, CancellationToken ct)
    {
        var engine = await RequireAsync(settings, ct);
        var swarm = new DockerSwarmEngine(new ContainerEngineOptions());
        Prerequisite.Require(await swarm.LocalNodeIdAsync(ct) is not null,
            "a Swarm manager on the local engine (docker swarm init --advertise-addr 127.0.0.1; scripts/start-docker.sh does it)");
        return (engine, swarm);
    }

    /// <summary>A topology name no other run uses, so parallel or leftover runs never collide.</summary>
    public static string UniqueName(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..8]}";
}
