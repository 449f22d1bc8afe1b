using System.Net.Http.Headers;
using System.Text;
using HaPortal.Core.Deploy;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;
using HaPortal.Tests.Rendering;

namespace HaPortal.Tests.Deploy;

/// <summary>
/// compose/docker-compose.yml runs the portal itself from the web role image: it starts, serves the API with the
/// admin password given in the environment, and <c>down -v</c> takes it away again.
/// </summary>
public sealed class PortalComposeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("haportal-portal-compose-").FullName;

    [Fact(Timeout = 300_000)]
    public async Task ComposeUp_PortalFile_ServesTheApiWithTheGivenAdminPassword()
    {
        var ct = TestContext.Current.CancellationToken;
        await DockerTestEngine.RequireAsync(new DeploySettings(), ct);
        var compose = Prerequisite.RequireExecutable("docker-compose");
        var project = DockerTestEngine.UniqueName("portalcompose");
        var port = FreePort.Next();
        var envFile = Path.Combine(_dir, "portal.env");
        await File.WriteAllTextAsync(envFile, $"HAPORTAL_PORT={port}\nHAPORTAL_ADMIN_PASSWORD=Compose-Pass-123\n", ct);
        string[] args = ["-p", project, "-f", Path.Combine(RepoPaths.Root, "compose", "docker-compose.yml"), "--env-file", envFile];

        try
        {
            var up = await Tool.RunAsync(compose, [.. args, "up", "-d"]);
            Assert.True(up.ExitCode == 0, up.Output);

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Authorization =
                new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:Compose-Pass-123")));
            var me = await UntilAnsweredAsync(http, "/api/me", ct);
            Assert.Contains("\"Admin\"", me);
        }
        finally
        {
            var down = await Tool.RunAsync(compose, [.. args, "down", "-v"]);
            Assert.True(down.ExitCode == 0, down.Output);
        }
    }

    private static async Task<string> UntilAnsweredAsync(HttpClient http, string path, CancellationToken ct)
    {
        var last = "";
        for (var i = 0; i < 120; i++)
        {
            try
            {
                using var response = await http.GetAsync(path, ct);
                last = $"HTTP {(int)response.StatusCode}";
                if (response.IsSuccessStatusCode) return await response.Content.ReadAsStringAsync(ct);
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(500, ct);
        }
        throw new TimeoutException($"The portal did not answer {path} within 60 s; last: {last}");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
