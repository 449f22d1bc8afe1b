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

    /// <summary>A topology name no other run uses, so parallel or leftover runs never collide.</summary>
    public static string UniqueName(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..8]}";
}
