using System.Diagnostics;

namespace HaPortal.Tests.Infrastructure;

public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Runs the real Portal executable as a command, the way an operator's script does.</summary>
public static class PortalCli
{
    public static Task<CliResult> RunAsync(string dataFolder, params string[] args) =>
        RunAsync(dataFolder, new Dictionary<string, string>(), args);

    /// <summary>With extra environment variables (settings such as <c>Deploy__RouterImage</c>).</summary>
    public static async Task<CliResult> RunAsync(string dataFolder, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        Prerequisite.Require(File.Exists(RepoPaths.PortalDll), $"the built portal at {RepoPaths.PortalDll}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(RepoPaths.PortalDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["Portal__DataFolder"] = dataFolder;
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new(process.ExitCode, await stdout, await stderr);
    }
}
