using System.Collections.Immutable;
using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Haproxy;

/// <summary>
/// The outcome of an operator's change to a backend: the server as HAProxy reports it afterwards and the topology
/// revision that records it, or every problem with its field (then nothing was changed anywhere).
/// </summary>
public sealed record BackendChangeResult(IReadOnlyList<ValidationProblem> Problems, HaproxyServer? Server = null,
    RevisionInfo? Revision = null, ServerRemoval? Removal = null)
{
    public bool Succeeded => Problems.Count == 0;
}

/// <summary>
/// Operator changes to running backends, the same for page, command line and API: check the actor, validate every
/// input (and the topology the change would produce) before touching anything, change HAProxy at runtime, read it back
/// to confirm, then write the change to the stored topology (when one is named) so a restart keeps it, and audit it.
/// The runtime is a parameter because each stack has its own endpoint. Stateless: safe as a singleton.
/// </summary>
public sealed partial class BackendOperations(TopologyStore topologies, AuditLog audit)
{
    public static readonly IReadOnlyList<string> StateNames = ["ready", "drain", "maint"];

    public async Task<BackendChangeResult> SetWeightAsync(IHaproxyRuntime runtime, Actor actor, string backend, string server,
        int weight, string? topology, CancellationToken ct = default)
    {
        actor.EnsureCanChange("change a server's weight");
        var problems = new List<ValidationProblem>();
        if (weight is < 0 or > 256) problems.Add(new("weight", $"{weight} is outside 0–256; 0 takes the server out of rotation."));
        var current = await FindServerAsync(runtime, backend, server, problems, ct).ConfigureAwait(false);
        var stored = await LoadTopologyAsync(topology, problems, ct).ConfigureAwait(false);
        TopologySpec? updated = null;
        if (stored is not null)
        {
            if (!stored.Spec.Web.Nodes.Any(n => n.Name == server))
                problems.Add(new("server", $"Topology '{topology}' has no web node '{server}' to record the weight on."));
            else updated = stored.Spec with { Web = stored.Spec.Web with { Nodes = stored.Spec.Web.Nodes.Select(n => n.Name == server ? n with { Weight = weight } : n).ToImmutableArray() } };
        }
        if (problems.Count > 0) return new(problems);

        await runtime.SetWeightAsync(backend, server, weight, ct).ConfigureAwait(false);
        var after = await ConfirmAsync(runtime, backend, server, s => s.Weight == weight, $"weight {weight}", ct).ConfigureAwait(false);
        var summary = $"runtime: {server} weight {current!.Weight} → {weight}";
        return await RecordAsync(actor, "haproxy.set-weight", after, summary, $"weight {current.Weight}", $"weight {weight}", updated, ct).ConfigureAwait(false);
    }

    /// <summary>ready, drain (only sticky sessions reach it) or maint (no traffic).</summary>
    public async Task<BackendChangeResult> SetStateAsync(IHaproxyRuntime runtime, Actor actor, string backend, string server,
        string state, string? topology, CancellationToken ct = default)
    {
        actor.EnsureCanChange("change a server's state");
        var problems = new List<ValidationProblem>();
        ServerAdminState? target = state?.Trim().ToLowerInvariant() switch
        {
            "ready" => ServerAdminState.Ready, "drain" => ServerAdminState.Drain, "maint" => ServerAdminState.Maint, _ => null,
        };
        if (target is null) problems.Add(new("state", $"'{state}' is not a state; use one of {string.Join(", ", StateNames)}."));
        var current = await FindServerAsync(runtime, backend, server, problems, ct).ConfigureAwait(false);
        var stored = await LoadTopologyAsync(topology, problems, ct).ConfigureAwait(false);
        TopologySpec? updated = null;
        WebNodeSpec? node = null;
        if (stored is not null && target is not null)
        {
            node = stored.Spec.Web.Nodes.FirstOrDefault(n => n.Name == server);
            if (node is null)
                problems.Add(new("server", $"Topology '{topology}' has no web node '{server}' to record the state on."));
            else updated = stored.Spec with { Web = stored.Spec.Web with { Nodes = stored.Spec.Web.Nodes.Select(n => n.Name == server ? n with { State = Stored(target.Value) } : n).ToImmutableArray() } };
        }
        if (problems.Count > 0) return new(problems);

        await runtime.SetStateAsync(backend, server, target!.Value, ct).ConfigureAwait(false);
        // A node stored as drained starts at weight 0 (the config has no drain keyword); ready gives it its weight back.
        if (target == ServerAdminState.Ready && node is { Weight: > 0 } && current!.Weight == 0)
            await runtime.SetWeightAsync(backend, server, node.Weight, ct).ConfigureAwait(false);
        var after = await ConfirmAsync(runtime, backend, server, s => s.Admin == target, $"state {state}", ct).ConfigureAwait(false);
        var summary = $"runtime: {server} state {Name(current!.Admin)} → {Name(target.Value)}";
        return await RecordAsync(actor, "haproxy.set-state", after, summary, Name(current.Admin), Name(target.Value), updated, ct).ConfigureAwait(false);
    }

    public async Task<BackendChangeResult> AddServerAsync(IHaproxyRuntime runtime, Actor actor, string backend, DynamicServer server,
        string? topology, CancellationToken ct = default)
    {
        actor.EnsureCanChange("add a server");
        var problems = new List<ValidationProblem>();
        if (server.Weight is < 0 or > 256) problems.Add(new("weight", $"{server.Weight} is outside 0–256."));
        if (server.Port is < 1 or > 65535) problems.Add(new("address", $"port {server.Port} is outside 1–65535."));
        if (string.IsNullOrWhiteSpace(server.Address)) problems.Add(new("address", "give the server's address as host:port."));
        if (!IsName(server.Name)) problems.Add(new("server", $"'{server.Name}' may contain only letters, digits, '-', '_' and '.'."));
        var backends = await runtime.ListBackendsAsync(ct).ConfigureAwait(false);
        var be = backends.FirstOrDefault(b => b.Name == backend);
        if (be is null) problems.Add(new("backend", $"HAProxy has no backend '{backend}' (it has {string.Join(", ", backends.Select(b => b.Name))})."));
        else if (be.Servers.Any(s => s.Name == server.Name)) problems.Add(new("server", $"Backend '{backend}' already has a server '{server.Name}'."));
        var stored = await LoadTopologyAsync(topology, problems, ct).ConfigureAwait(false);
        TopologySpec? updated = null;
        if (stored is not null && !stored.Spec.Web.Nodes.Any(n => n.Name == server.Name))
        {
            updated = stored.Spec with { Web = stored.Spec.Web with { Nodes = stored.Spec.Web.Nodes.Add(new WebNodeSpec { Name = server.Name, Weight = server.Weight }) } };
            problems.AddRange(TopologyValidator.Validate(updated).Errors);
        }
        if (problems.Count > 0) return new(problems);

        await runtime.AddServerAsync(backend, server, ct).ConfigureAwait(false);
        var after = await ConfirmAsync(runtime, backend, server.Name, s => s.Admin == ServerAdminState.Ready, "added and ready", ct).ConfigureAwait(false);
        var summary = $"runtime: added {server.Name} at {server.Address}:{server.Port} weight {server.Weight}";
        return await RecordAsync(actor, "haproxy.add-server", after, summary, null, $"{server.Address}:{server.Port} weight {server.Weight}", updated, ct).ConfigureAwait(false);
    }

    /// <summary>Drains, waits for the sessions to end (or <paramref name="timeout"/>), deletes; see <see cref="IHaproxyRuntime.DeleteServerAsync"/>.</summary>
    public async Task<BackendChangeResult> RemoveServerAsync(IHaproxyRuntime runtime, Actor actor, string backend, string server,
        TimeSpan timeout, bool shutdownRemaining, string? topology, CancellationToken ct = default)
    {
        actor.EnsureCanChange("remove a server");
        var problems = new List<ValidationProblem>();
        if (timeout < TimeSpan.Zero || timeout > TimeSpan.FromHours(1)) problems.Add(new("timeout", "give a drain timeout between 0 s and 1 h."));
        var current = await FindServerAsync(runtime, backend, server, problems, ct).ConfigureAwait(false);
        var stored = await LoadTopologyAsync(topology, problems, ct).ConfigureAwait(false);
        TopologySpec? updated = null;
        if (stored is not null && stored.Spec.Web.Nodes.Any(n => n.Name == server))
        {
            updated = stored.Spec with { Web = stored.Spec.Web with { Nodes = stored.Spec.Web.Nodes.RemoveAll(n => n.Name == server) } };
            problems.AddRange(TopologyValidator.Validate(updated).Errors);
        }
        if (problems.Count > 0) return new(problems);

        var removal = await runtime.DeleteServerAsync(backend, server, timeout, shutdownRemaining, ct).ConfigureAwait(false);
        if (removal.Outcome == RemovalOutcome.TimedOut)
        {
            await audit.RecordAsync(actor, "haproxy.remove-server", $"{backend}/{server}",
                $"runtime: {server} still had {removal.SessionsLeft} sessions after {timeout.TotalSeconds:0} s; left draining, not deleted", ct: ct).ConfigureAwait(false);
            return new([new("timeout", $"'{server}' still has {removal.SessionsLeft} sessions after {timeout.TotalSeconds:0} s; it stays in drain. Wait longer or shut the remaining sessions.")],
                await runtime.GetServerAsync(backend, server, ct).ConfigureAwait(false), null, removal);
        }
        var summary = $"runtime: removed {server} ({removal.SessionsLeft} sessions shut)";
        var result = await RecordAsync(actor, "haproxy.remove-server", null, summary, $"{current!.Address}:{current.Port} weight {current.Weight}", null, updated, ct, $"{backend}/{server}").ConfigureAwait(false);
        return result with { Removal = removal };
    }

    private static async Task<HaproxyServer?> FindServerAsync(IHaproxyRuntime runtime, string backend, string server,
        List<ValidationProblem> problems, CancellationToken ct)
    {
        var backends = await runtime.ListBackendsAsync(ct).ConfigureAwait(false);
        var be = backends.FirstOrDefault(b => b.Name == backend);
        if (be is null)
        {
            problems.Add(new("backend", $"HAProxy has no backend '{backend}' (it has {string.Join(", ", backends.Select(b => b.Name))})."));
            return null;
        }
        var found = be.Servers.FirstOrDefault(s => s.Name == server);
        if (found is null) problems.Add(new("server", $"Backend '{backend}' has no server '{server}' (it has {string.Join(", ", be.Servers.Select(s => s.Name))})."));
        return found;
    }

    private async Task<StoredTopology?> LoadTopologyAsync(string? name, List<ValidationProblem> problems, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var stored = await topologies.GetAsync(name, ct: ct).ConfigureAwait(false);
        if (stored is null) problems.Add(new("topology", $"No topology named '{name}' to record the change in."));
        return stored;
    }

    private static async Task<HaproxyServer> ConfirmAsync(IHaproxyRuntime runtime, string backend, string server,
        Func<HaproxyServer, bool> applied, string what, CancellationToken ct)
    {
        var after = await runtime.GetServerAsync(backend, server, ct).ConfigureAwait(false);
        return after is not null && applied(after)
            ? after
            : throw new InvalidOperationException($"HAProxy accepted {backend}/{server} {what} but reports {(after is null ? "no such server" : $"weight {after.Weight}, state {Name(after.Admin)}")}.");
    }

    private async Task<BackendChangeResult> RecordAsync(Actor actor, string action, HaproxyServer? after, string summary,
        string? before, string? afterText, TopologySpec? updated, CancellationToken ct, string? target = null)
    {
        RevisionInfo? revision = null;
        if (updated is not null)
        {
            var saved = await topologies.SaveAsync(updated, actor, summary, ct).ConfigureAwait(false);
            // Validated above, so a refusal here means the topology changed in between; say so rather than hide it.
            if (!saved.Saved)
                return new(saved.Report.Errors.Select(e => e with { Message = $"HAProxy was changed, but the topology was not saved: {e.Message}" }).ToList(), after);
            revision = saved.Revision;
        }
        await audit.RecordAsync(actor, action, target ?? after!.Id, summary, before, afterText, ct).ConfigureAwait(false);
        return new([], after, revision);
    }

    private static bool IsName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static WebNodeState Stored(ServerAdminState state) => state switch
    {
        ServerAdminState.Drain => WebNodeState.Drain,
        ServerAdminState.Maint => WebNodeState.Maint,
        _ => WebNodeState.Ready,
    };

    private static string Name(ServerAdminState state) => state.ToString().ToLowerInvariant();
}
