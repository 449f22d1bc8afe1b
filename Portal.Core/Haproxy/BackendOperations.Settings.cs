using HaPortal.Core.Persistence;
using HaPortal.Core.Rendering;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Haproxy;

/// <summary>
/// The outcome of a structural change: the new revision and the worker that serves it, or every problem with its
/// field. A config HAProxy rejects is a problem on the field <c>haproxy</c> carrying HAProxy's own message; then
/// nothing was installed or saved and the old config keeps serving.
/// </summary>
public sealed record SettingsChangeResult(IReadOnlyList<ValidationProblem> Problems, RevisionInfo? Revision = null, int? WorkerPid = null)
{
    public bool Succeeded => Problems.Count == 0;
}

public sealed partial class BackendOperations
{
    /// <summary>
    /// Balance, stickiness and health-check settings: validate → render haproxy.cfg from the topology with them →
    /// <c>haproxy -c</c> → install and reload hitlessly → store the revision → audit. The stored topology is the
    /// whole config, so its web nodes' weights and states are what the new worker starts with.
    /// </summary>
    public async Task<SettingsChangeResult> ApplySettingsAsync(HaproxyTarget target, Actor actor, string topology,
        BackendSettings settings, CancellationToken ct = default)
    {
        actor.EnsureCanChange("change the load balancer's settings");
        var problems = new List<ValidationProblem>();
        if (target.Reloader is null)
            problems.Add(new("haproxy", "No HAProxy config file and master socket are set for this stack, so its config cannot be reloaded."));
        var stored = await LoadTopologyAsync(topology, problems, ct).ConfigureAwait(false);
        if (stored is null)
        {
            if (string.IsNullOrWhiteSpace(topology)) problems.Add(new("topology", "Name the topology whose load balancer settings change."));
            return new(problems);
        }
        var (updated, settingProblems) = settings.ApplyTo(stored.Spec);
        problems.AddRange(settingProblems);
        if (problems.Count > 0) return new(problems);

        var changes = TopologyDiff.Compare(stored.Spec, updated!);
        if (changes.Count == 0) return new([new("settings", "Nothing to change: the settings are what the topology already has.")]);

        var reload = await target.Reloader!.ApplyAsync(HaproxyRenderer.Render(updated!, target.RenderOptions), ct).ConfigureAwait(false);
        if (!reload.Installed)
            return new([new("haproxy", $"HAProxy rejected the new config; the old one keeps serving. {reload.Error}")]);

        static string Field(FieldChange c) => c.Path.Replace("loadBalancer.", "", StringComparison.Ordinal);
        var summary = "reload: " + string.Join(", ", changes.Select(c => $"{Field(c)} {c.Before} → {c.After}"));
        var saved = await topologies.SaveAsync(updated!, actor, summary, ct).ConfigureAwait(false);
        if (!saved.Saved)
            return new(saved.Report.Errors.Select(e => e with { Message = $"HAProxy was reloaded, but the topology was not saved: {e.Message}" }).ToList());
        await audit.RecordAsync(actor, "haproxy.settings", $"{topology}/loadBalancer", summary,
            string.Join(", ", changes.Select(c => $"{Field(c)} {c.Before}")), string.Join(", ", changes.Select(c => $"{Field(c)} {c.After}")), ct).ConfigureAwait(false);
        return new([], saved.Revision, reload.WorkerPid);
    }
}
