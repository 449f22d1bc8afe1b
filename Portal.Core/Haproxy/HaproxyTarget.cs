using System.Collections.Concurrent;
using HaPortal.Core.Rendering;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Haproxy;

/// <summary>
/// Where the portal reaches one HAProxy (section <c>Haproxy</c> of the settings, or the command line's options):
/// its runtime API, and for structural changes the live config file, the master CLI socket and the binary that
/// checks a candidate. <see cref="FrontendBind"/> and <see cref="NodeAddresses"/> adapt the rendered config to an
/// HAProxy that runs outside Docker (web nodes on host ports instead of container names).
/// </summary>
public sealed record HaproxySettings
{
    public string? RuntimeEndpoint { get; init; }
    public string? ConfigPath { get; init; }
    public string? MasterSocket { get; init; }
    public string Binary { get; init; } = "haproxy";
    public string? FrontendBind { get; init; }
    public Dictionary<string, string> NodeAddresses { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>One HAProxy as the operations see it. <see cref="Reloader"/> is null when no config file/master socket is set.</summary>
public sealed record HaproxyTarget(IHaproxyRuntime Runtime, HaproxyReloader? Reloader, HaproxyRenderOptions RenderOptions);

/// <summary>
/// Turns settings into a target, with one reloader per config file so two structural changes to the same HAProxy
/// never overlap (the reloader serialises its own calls). Singleton.
/// </summary>
public sealed class HaproxyTargets(TimeProvider time)
{
    private readonly ConcurrentDictionary<HaproxyReloadSettings, HaproxyReloader> _reloaders = new();

    /// <summary>The target, or every problem with the setting it belongs to.</summary>
    public (HaproxyTarget? Target, IReadOnlyList<ValidationProblem> Problems) Resolve(HaproxySettings settings)
    {
        var problems = new List<ValidationProblem>();
        var runtime = HaproxyEndpoint.TryParse(settings.RuntimeEndpoint, out var error);
        if (runtime is null) problems.Add(new("runtimeEndpoint", error ?? "give the runtime API as a socket path or host:port."));
        HaproxyReloader? reloader = null;
        if (!string.IsNullOrWhiteSpace(settings.ConfigPath) || !string.IsNullOrWhiteSpace(settings.MasterSocket))
        {
            if (string.IsNullOrWhiteSpace(settings.ConfigPath)) problems.Add(new("configPath", "a master socket is set but no config file; give both or neither."));
            var master = HaproxyEndpoint.TryParse(settings.MasterSocket, out var masterError);
            if (master is null) problems.Add(new("masterSocket", masterError ?? "give the master CLI socket (haproxy -S)."));
            if (problems.Count == 0)
                reloader = _reloaders.GetOrAdd(new HaproxyReloadSettings(settings.Binary, Path.GetFullPath(settings.ConfigPath!), master!), s => new HaproxyReloader(s, time));
        }
        if (problems.Count > 0) return (null, problems);
        var options = new HaproxyRenderOptions
        {
            // The rendered config keeps the runtime API where the portal reaches it now.
            AdminSocketPath = runtime!.UnixPath ?? new HaproxyRenderOptions().AdminSocketPath,
            AdminTcpAddress = runtime.UnixPath is null ? $"{runtime.Host}:{runtime.Port}" : null,
            Nameserver = settings.NodeAddresses.Count > 0 ? null : new HaproxyRenderOptions().Nameserver,
            FrontendBind = settings.FrontendBind,
            WebNodeAddresses = settings.NodeAddresses,
        };
        return (new HaproxyTarget(new HaproxyRuntime(runtime, time), reloader, options), []);
    }
}
