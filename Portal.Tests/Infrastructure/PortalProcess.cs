using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace HaPortal.Tests.Infrastructure;

/// <summary>
/// The real Portal executable (as built next to the tests) started in its own process on a free loopback port,
/// with a fresh data folder: what a newcomer gets from the README's run command.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly object _gate = new();

    public Uri BaseAddress { get; }
    public string DataFolder { get; }

    private PortalProcess(Process process, Uri baseAddress, string dataFolder)
    {
        _process = process;
        BaseAddress = baseAddress;
        DataFolder = dataFolder;
    }

    public string Output { get { lock (_gate) return _output.ToString(); } }

    /// <summary>Starts the portal; extra arguments and environment go to the process as given.</summary>
    public static async Task<PortalProcess> StartAsync(IReadOnlyDictionary<string, string>? environment = null,
        IEnumerable<string>? arguments = null, string healthPath = "/health")
    {
        Prerequisite.Require(File.Exists(RepoPaths.PortalDll), $"the built portal at {RepoPaths.PortalDll}");
        var port = FreePort.Next();
        var data = Path.Combine(Path.GetTempPath(), "haportal-test-" + Guid.NewGuid().ToString("N")[..8]);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(RepoPaths.PortalDll)!,
        };
        info.ArgumentList.Add(RepoPaths.PortalDll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port}");
        info.ArgumentList.Add($"--Portal:DataFolder={data}");
        foreach (var a in arguments ?? []) info.ArgumentList.Add(a);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment.Remove("HAPORTAL_ADMIN_PASSWORD");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;

        var process = Process.Start(info)!;
        var portal = new PortalProcess(process, new Uri($"http://127.0.0.1:{port}"), data);
        process.OutputDataReceived += (_, e) => portal.Append(e.Data);
        process.ErrorDataReceived += (_, e) => portal.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await portal.WaitUntilHealthyAsync(healthPath);
        return portal;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_gate) _output.AppendLine(line);
    }

    private async Task WaitUntilHealthyAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The portal exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var response = await http.GetAsync(path);
                if ((int)response.StatusCode < 500) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"The portal did not answer {path} within 60 s:\n{Output}");
    }

    /// <summary>The first match of <paramref name="pattern"/>'s group 1 in the console output.</summary>
    public string? FindInOutput(string pattern) =>
        Regex.Match(Output, pattern) is { Success: true } m ? m.Groups[1].Value : null;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(DataFolder, recursive: true); } catch (IOException) { }
    }
}
