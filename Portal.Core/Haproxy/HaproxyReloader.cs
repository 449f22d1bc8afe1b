using System.Diagnostics;
using System.Globalization;

namespace HaPortal.Core.Haproxy;

/// <summary>Where the reloader finds HAProxy: the binary, the live config file, and the master CLI socket (-S).</summary>
public sealed record HaproxyReloadSettings(string BinaryPath, string ConfigPath, HaproxyEndpoint MasterSocket)
{
    /// <summary>How long a reload may take before it counts as failed.</summary>
    public TimeSpan ReloadTimeout { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// The outcome of a structural change. <see cref="Error"/> is HAProxy's own message when the candidate was rejected
/// (nothing installed, the old config keeps serving) or when the master refused the reload (the previous file is put back).
/// </summary>
public sealed record ReloadResult(bool Installed, string? Error, int? WorkerPid)
{
    public static ReloadResult Rejected(string error) => new(false, error, null);
}

/// <summary>The master process as <c>show proc</c> reports it.</summary>
public sealed record HaproxyProcesses(int MasterPid, int Reloads, int FailedReloads, IReadOnlyList<(int Pid, int Reloads)> Workers)
{
    /// <summary>The worker started by the last (re)load: the one that has lived through no reload.</summary>
    public int? CurrentWorker => Workers.Where(w => w.Reloads == 0).Select(w => (int?)w.Pid).FirstOrDefault();
}

/// <summary>
/// Structural changes to a master-worker HAProxy (<c>haproxy -W -S master.sock -f cfg</c>): the candidate config is
/// written next to the live one and checked with <c>haproxy -c</c>; only a passing config replaces the live file,
/// then the master CLI's <c>reload</c> starts a new worker, which takes over the listening sockets
/// (<c>expose-fd listeners</c>) while the old one finishes its connections. Stateless apart from the files: safe as a singleton.
/// </summary>
public sealed class HaproxyReloader(HaproxyReloadSettings settings, TimeProvider time)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public string CandidatePath => settings.ConfigPath + ".candidate";
    public string PreviousPath => settings.ConfigPath + ".previous";

    /// <summary>Runs <c>haproxy -c</c> on the text without touching the live file; the error is HAProxy's alert lines.</summary>
    public async Task<ReloadResult> CheckAsync(string config, CancellationToken ct = default)
    {
        var path = settings.ConfigPath + ".check";
        await File.WriteAllTextAsync(path, config, ct).ConfigureAwait(false);
        try { return await CheckFileAsync(path, ct).ConfigureAwait(false); }
        finally { File.Delete(path); }
    }

    /// <summary>Checks, installs and reloads hitlessly; a config that fails the check is never installed.</summary>
    public async Task<ReloadResult> ApplyAsync(string config, CancellationToken ct = default)
    {
        await _oneAtATime.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await File.WriteAllTextAsync(CandidatePath, config, ct).ConfigureAwait(false);
            var check = await CheckFileAsync(CandidatePath, ct).ConfigureAwait(false);
            if (!check.Installed)
            {
                File.Delete(CandidatePath);
                return check;
            }

            var before = await ShowProcAsync(ct).ConfigureAwait(false);
            File.Copy(settings.ConfigPath, PreviousPath, overwrite: true);
            File.Move(CandidatePath, settings.ConfigPath, overwrite: true);
            await HaproxyCli.SendAsync(settings.MasterSocket, "reload", ct).ConfigureAwait(false);

            var deadline = time.GetUtcNow() + settings.ReloadTimeout;
            while (true)
            {
                await Task.Delay(Poll, time, ct).ConfigureAwait(false);
                var now = await TryShowProcAsync(ct).ConfigureAwait(false);
                if (now is not null && now.FailedReloads > before.FailedReloads)
                    return Restore($"HAProxy's master refused the reload (failed reloads {before.FailedReloads} → {now.FailedReloads}); the previous config was put back.");
                if (now is not null && now.Reloads > before.Reloads && now.CurrentWorker is { } pid && pid != before.CurrentWorker)
                    return new(true, null, pid);
                if (time.GetUtcNow() >= deadline)
                    return Restore($"No new worker within {settings.ReloadTimeout.TotalSeconds:0} s of the reload; the previous config was put back.");
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public async Task<HaproxyProcesses> ShowProcAsync(CancellationToken ct = default) =>
        ParseShowProc(await HaproxyCli.SendAsync(settings.MasterSocket, "show proc", ct).ConfigureAwait(false));

    // While the master re-executes itself its CLI is briefly gone; that is part of a reload, not a failure.
    private async Task<HaproxyProcesses?> TryShowProcAsync(CancellationToken ct)
    {
        try { return await ShowProcAsync(ct).ConfigureAwait(false); }
        catch (HaproxyUnreachableException) { return null; }
        catch (HaproxyCommandException) { return null; }
    }

    private ReloadResult Restore(string error)
    {
        File.Copy(PreviousPath, settings.ConfigPath, overwrite: true);
        return ReloadResult.Rejected(error);
    }

    private async Task<ReloadResult> CheckFileAsync(string path, CancellationToken ct)
    {
        var info = new ProcessStartInfo(settings.BinaryPath)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in new[] { "-c", "-f", path }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {settings.BinaryPath}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        if (process.ExitCode == 0) return new(true, null, null);
        var alerts = output.Split('\n').Where(l => l.Contains("[ALERT]", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        return ReloadResult.Rejected(alerts.Count > 0 ? string.Join("\n", alerts) : output.Trim());
    }

    internal static HaproxyProcesses ParseShowProc(string reply)
    {
        int master = 0, reloads = 0, failed = 0;
        var workers = new List<(int, int)>();
        var section = "";
        foreach (var raw in reply.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#')) { section = line; continue; }
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 3 || !int.TryParse(f[0], CultureInfo.InvariantCulture, out var pid)) continue;
            if (f[1] == "master")
            {
                master = pid;
                reloads = int.Parse(f[2], CultureInfo.InvariantCulture);
                var at = Array.IndexOf(f, "[failed:");
                if (at >= 0 && at + 1 < f.Length) failed = int.Parse(f[at + 1].TrimEnd(']'), CultureInfo.InvariantCulture);
            }
            else if (f[1] == "worker" && section == "# workers")
            {
                workers.Add((pid, int.Parse(f[2], CultureInfo.InvariantCulture)));
            }
        }
        if (master == 0) throw new HaproxyCommandException("show proc", reply);
        return new(master, reloads, failed, workers);
    }
}
