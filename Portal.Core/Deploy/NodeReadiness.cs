using System.Globalization;
using System.Text;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Deploy;

/// <summary>
/// Waits until one freshly started container really serves, and bootstraps the databases on the way:
/// a SQL query answered (then users, schema, replication), an HTTP check passed. Everything runs
/// through the engine's exec, so it works the same against a remote engine. Passwords stay in the
/// containers' environment: commands refer to the variables, never to the values.
/// <paramref name="beforeServing"/>: a replica that answers waits on it before it starts replicating (the primary
/// must be bootstrapped first), a web node before its health is checked (its database must serve); false means what it
/// waited for failed, and it stops with <see cref="DependencyFailedException"/>.
/// <paramref name="primaryContainer"/>: where a replica reads the primary's GTID position; null means the Docker
/// deploy's container name. On a Swarm it finds the primary's task container, and answers null when that task runs on
/// another node (exec reaches only this engine's containers): the position check is then skipped.
/// </summary>
internal sealed partial class NodeReadiness(
    IContainerEngine engine, DeploySettings settings, TimeProvider time,
    DesiredStack stack, DesiredContainer node, string containerId, Action<string> report,
    Func<CancellationToken, Task<bool>>? beforeServing = null, Func<CancellationToken, Task<string?>>? primaryContainer = null)
{
    public async Task WaitAsync(CancellationToken ct)
    {
        switch (node.Role)
        {
            case NodeRole.Primary:
                await WaitForSqlAsync(ct).ConfigureAwait(false);
                // Every database boots read-only (my.cnf names no role); the bootstrap makes this one the writer. One
                // exec: the client stops at the first error, so a failed bootstrap leaves the primary read-only.
                await RunSqlAsync("create users and schema and open the primary for writes",
                    BootstrapSql.Primary(Spec, Secret) + "\nSET GLOBAL read_only = OFF;", ct).ConfigureAwait(false);
                break;
            case NodeRole.Replica:
                await WaitForSqlAsync(ct).ConfigureAwait(false);
                await WaitForAsync(beforeServing, ct).ConfigureAwait(false);
                await ReplicateAsync(ct).ConfigureAwait(false);
                break;
            case NodeRole.Web:
                await WaitForAsync(beforeServing, ct).ConfigureAwait(false);
                await UntilAsync("answer GET /health", async t =>
                {
                    var (status, body) = await HttpGetAsync(Rendering.StackPorts.WebNode, "/health", t, untilOk: true).ConfigureAwait(false);
                    return (status == 200, Describe(status, body));
                }, ct).ConfigureAwait(false);
                break;
            case NodeRole.Router when node.Tier == DeployTier.RouterVip:
                await WaitForVirtualIpAsync(ct).ConfigureAwait(false);
                break;
            case NodeRole.Router:
                await WaitForRouterAsync(ct).ConfigureAwait(false);
                break;
            case NodeRole.LoadBalancer:
                await WaitForLoadBalancerAsync(ct).ConfigureAwait(false);
                break;
            default:
                throw new DeployStepException($"No readiness check for role {node.Role}.");
        }
    }

    private TopologySpec Spec => stack.Spec;

    private static async Task WaitForAsync(Func<CancellationToken, Task<bool>>? dependencies, CancellationToken ct)
    {
        if (dependencies is not null && !await dependencies(ct).ConfigureAwait(false))
            throw new DependencyFailedException();
    }

    private Task WaitForSqlAsync(CancellationToken ct) =>
        UntilAsync("answer SELECT 1", async t =>
        {
            var r = await engine.ExecAsync(containerId, ["sh", "-c", SqlPollScript, "sh", "mariadb", "--batch", "--skip-column-names", "-e", "SELECT 1"], t).ConfigureAwait(false);
            return (r.Succeeded && r.Stdout.Trim() == "1", Trim(r.Stderr));
        }, ct);

    /// <summary>
    /// Starts replication and waits until the replica runs both threads and has applied the primary's GTID position as
    /// it was just before (where the primary's position cannot be read, as on another Swarm node: until its lag is 0).
    /// Each probe is one exec that waits up to a second for the position inside the server and then reads the status,
    /// so a replica that catches up at once is seen at once, and one that cannot (a stopped SQL thread) is reported.
    /// The first probe shares the exec that starts replication: the client stops at the first error, so a failed start
    /// runs no probe.
    /// </summary>
    private async Task ReplicateAsync(CancellationToken ct)
    {
        var gtid = await PrimaryPositionAsync(ct).ConfigureAwait(false);
        var known = gtid.Length > 0;
        // Vertical output for both, so one parse reads them: Position_Wait is 0 once reached, -1 after the second.
        var probe = (known ? $"SELECT MASTER_GTID_WAIT('{gtid}', 1)" : "SELECT 0") + " AS Position_Wait\\G SHOW SLAVE STATUS\\G";
        ExecResult? started = await RunSqlAsync("start replication", BootstrapSql.Replica(Spec, Secret) + "\n" + probe, ct).ConfigureAwait(false);
        await UntilAsync(known ? $"replicate up to the primary's GTID position {gtid}" : "replicate (IO and SQL threads running, lag 0)", async t =>
        {
            var r = started ?? await engine.ExecAsync(containerId, ["mariadb", "--batch", "-e", probe], t).ConfigureAwait(false);
            started = null;
            if (!r.Succeeded) return (false, Trim(r.Stderr));
            var status = ParseVertical(r.Stdout);
            var io = status.GetValueOrDefault("Slave_IO_Running");
            var sql = status.GetValueOrDefault("Slave_SQL_Running");
            var lag = status.GetValueOrDefault("Seconds_Behind_Master");
            if (sql == "No" && status.GetValueOrDefault("Last_SQL_Errno") is { } errno && errno != "0")
                throw new DeployStepException($"Replication SQL thread stopped: {status.GetValueOrDefault("Last_SQL_Error")}");
            var caughtUp = known ? status.GetValueOrDefault("Position_Wait") == "0" : lag == "0";
            var detail = $"IO {io}, SQL {sql}, lag {lag}{(known && !caughtUp ? ", position not reached yet" : "")}; {status.GetValueOrDefault("Last_IO_Error")}".TrimEnd(' ', ';');
            return (io == "Yes" && sql == "Yes" && caughtUp, detail);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The primary's GTID position; empty where it cannot be read from here.</summary>
    private async Task<string> PrimaryPositionAsync(CancellationToken ct)
    {
        var primary = primaryContainer is null
            ? DesiredStackBuilder.ContainerName(stack.Topology, Spec.Database.Primary!.Name)
            : await primaryContainer(ct).ConfigureAwait(false);
        if (primary is null)
        {
            report("the primary runs on another Swarm node: its GTID position is not read from here");
            return "";
        }
        var pos = await engine.ExecAsync(primary, ["mariadb", "--batch", "--skip-column-names", "-e", "SELECT @@gtid_binlog_pos"], ct).ConfigureAwait(false);
        if (!pos.Succeeded) throw new DeployStepException($"Could not read the primary's GTID position: {Trim(pos.Stderr)}");
        return pos.Stdout.Trim();
    }

    private async Task WaitForLoadBalancerAsync(CancellationToken ct)
    {
        var lb = Spec.LoadBalancer;
        await UntilAsync($"answer GET {lb.HealthCheck.Path} through a web node", async t =>
        {
            var (status, body) = await HttpGetAsync(lb.PublishPort, lb.HealthCheck.Path, t, untilOk: true).ConfigureAwait(false);
            return (status == 200, Describe(status, body));
        }, ct).ConfigureAwait(false);
        if (!lb.Stats.Enabled) return;
        var servers = stack.Containers.Where(c => c.Role == NodeRole.Web).Select(c => c.Node).ToHashSet();
        // UP and its last check passed: HAProxy sends it traffic and has seen it answer. A fresh HAProxy shows a server
        // as "UP 1/3" before its first check and "UP 2/3" after it; full "UP" only comes after `rise` checks, which
        // would add a whole check interval to every apply without telling more.
        await UntilAsync("see every web node UP with a passed check", async t =>
        {
            var (status, body) = await HttpGetAsync(lb.Stats.PublishPort, "/stats;csv", t).ConfigureAwait(false);
            if (status != 200) return (false, $"stats HTTP {status}");
            var states = body.Split('\n')
                .Select(l => l.Split(','))
                .Where(f => f.Length > StatCheckStatus && f[0] == Rendering.HaproxyRenderer.BackendName && servers.Contains(f[1]))
                .ToDictionary(f => f[1], f => (Status: f[StatStatus], Check: f[StatCheckStatus].TrimStart('*', ' ')));
            var waiting = servers
                .Where(s => !states.TryGetValue(s, out var state) || !state.Status.StartsWith("UP", StringComparison.Ordinal) || state.Check != "L7OK")
                .Order(StringComparer.Ordinal).ToList();
            return (waiting.Count == 0, waiting.Count == 0 ? "" : $"not yet: {string.Join(", ", waiting.Select(d =>
                states.TryGetValue(d, out var state) ? $"{d} ({state.Status}, check {(state.Check.Length == 0 ? "not run" : state.Check)})" : $"{d} (missing)"))}");
        }, ct).ConfigureAwait(false);
    }

    // Columns of HAProxy's "show stat" CSV (stable across versions: new ones are only ever appended).
    private const int StatStatus = 17, StatCheckStatus = 36;

    // Probes that wait for a container to come up poll inside it, every 200 ms for up to about 5 s per exec: one exec per
    // probe costs the engine a process start, and with many nodes starting at once (8 web nodes) that CPU is taken
    // from the very containers being waited for. The last attempt's answer is what the exec returns.
    private const int PollsPerExec = 25;

    /// <summary>
    /// Runs its arguments until they print exactly "1"; then prints 1. After the last attempt, its output goes to stderr.
    /// The client is not even started while the server has no socket (Debian's MariaDB and MySQL images keep it in
    /// /run/mysqld): a database initialising its data directory takes seconds, and a client started every 200 ms
    /// meanwhile, in four databases at once, was a second of a large deploy's CPU.
    /// </summary>
    private const string ServerSocket = "/run/mysqld/mysqld.sock";

    private static readonly string SqlPollScript =
        $"s={ServerSocket}; n=0; while :; do " +
        "if [ -d \"${s%/*}\" ] && [ ! -S \"$s\" ]; then out=\"no server socket yet ($s)\"; " +
        "else out=$(\"$@\" 2>&1) && [ \"$out\" = 1 ] && { echo 1; exit 0; }; fi; n=$((n+1)); " +
        $"[ $n -ge {PollsPerExec} ] && {{ printf '%s\\n' \"$out\" >&2; exit 1; }}; sleep 0.2; done";

    private const string HttpGetFunction =
        "get() { exec 3<>/dev/tcp/127.0.0.1/$0 && printf 'GET %s HTTP/1.0\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' \"$1\" >&3 && cat <&3; }; ";

    /// <summary>Retries the GET quietly until it answers 200 (then prints that answer), else makes one last attempt as is.</summary>
    private static readonly string HttpPollScript = HttpGetFunction +
        $"n=0; while [ $n -lt {PollsPerExec} ]; do out=$(get \"$1\" 2>/dev/null) && case \"$out\" in \"HTTP/1.\"?\" 200\"*) printf '%s' \"$out\"; exit 0;; esac; " +
        "n=$((n+1)); sleep 0.2; done; get \"$1\"";

    /// <summary>
    /// A plain HTTP/1.0 GET from inside the container (bash's /dev/tcp: no curl needed in the image);
    /// <paramref name="untilOk"/>: repeated inside the container until it answers 200, for up to about 5 s.
    /// </summary>
    private async Task<(int Status, string Body)> HttpGetAsync(int port, string path, CancellationToken ct, bool untilOk = false)
    {
        var script = untilOk ? HttpPollScript : HttpGetFunction + "get \"$1\"";
        var r = await engine.ExecAsync(containerId, ["bash", "-c", script, port.ToString(CultureInfo.InvariantCulture), path], ct).ConfigureAwait(false);
        if (!r.Succeeded) return (0, r.Stderr);
        var head = r.Stdout.Split('\n', 2)[0].Split(' ');
        var status = head.Length > 1 && int.TryParse(head[1], out var s) ? s : 0;
        var bodyAt = r.Stdout.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (status, bodyAt < 0 ? "" : r.Stdout[(bodyAt + 4)..]);
    }

    /// <summary>Runs SQL through the client in one exec; what it printed is the caller's (a probe that shares the exec).</summary>
    private async Task<ExecResult> RunSqlAsync(string what, string sql, CancellationToken ct)
    {
        var r = await engine.ExecAsync(containerId, ["sh", "-c", "mariadb --batch <<HAPORTAL_SQL\n" + ShellHeredoc(sql) + "\nHAPORTAL_SQL\n"], ct).ConfigureAwait(false);
        if (!r.Succeeded) throw new DeployStepException($"Could not {what}: {Trim(r.Stderr)}");
        report(what + ": done");
        return r;
    }

    /// <summary>Repeats a probe until it passes, the container stops, or <see cref="DeploySettings.ReadyTimeout"/> runs out.</summary>
    private async Task UntilAsync(string what, Func<CancellationToken, Task<(bool Ok, string Detail)>> probe, CancellationToken ct)
    {
        var deadline = time.GetTimestamp();
        var last = "";
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var (ok, detail) = await probe(ct).ConfigureAwait(false);
            if (ok)
            {
                report($"{what}: ok");
                return;
            }
            if (detail != last && detail.Length > 0) report($"{what}: {detail}");
            last = detail;
            var health = await engine.InspectHealthAsync(containerId, ct).ConfigureAwait(false);
            if (!health.IsRunning)
                throw new DeployStepException($"Container stopped ({health.State}, exit code {health.ExitCode}) before it could {what}; last answer: {last}");
            if (time.GetElapsedTime(deadline) > settings.ReadyTimeout)
                throw new DeployStepException($"Did not {what} within {settings.ReadyTimeout.TotalSeconds:0} s; last answer: {last}");
            await Task.Delay(DeployExecutor.PollInterval, time, ct).ConfigureAwait(false);
        }
    }

    // Placeholders become ${VAR} after escaping, so the shell expands them inside the container only.
    private static string Secret(string variable) => "\u0001" + variable + "\u0002";

    internal static string ShellHeredoc(string sql)
    {
        var escaped = new StringBuilder(sql.Length)
            .Append(sql).Replace("\\", "\\\\").Replace("`", "\\`").Replace("$", "\\$").ToString();
        return escaped.Replace("\u0001", "${").Replace("\u0002", "}");
    }

    internal static Dictionary<string, string> ParseVertical(string output) =>
        output.Split('\n')
            .Select(l => l.Split(':', 2))
            .Where(kv => kv.Length == 2 && !kv[0].TrimStart().StartsWith('*'))
            .GroupBy(kv => kv[0].Trim())
            .ToDictionary(g => g.Key, g => g.First()[1].Trim());

    // Status 0: no HTTP answer at all; the body then holds the shell's error (connection refused, …).
    private static string Describe(int status, string body) => status == 0 ? $"no answer ({Trim(body)})" : $"HTTP {status}";

    private static string Trim(string s) => s.Trim().ReplaceLineEndings(" ");
}

