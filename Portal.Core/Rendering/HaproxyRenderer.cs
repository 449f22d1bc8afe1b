using System.Text;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Rendering;

/// <summary>
/// Where the rendered haproxy.cfg puts the portal's runtime API and which DNS it uses.
/// Defaults suit the HAProxy container; tests point the socket into a temp directory.
/// </summary>
public sealed record HaproxyRenderOptions
{
    /// <summary>Unix socket of the runtime API (level admin, expose-fd listeners for hitless reloads).</summary>
    public string AdminSocketPath { get; init; } = "/var/run/haproxy/admin.sock";

    /// <summary>TCP runtime API on loopback only, for tools in the same network namespace; null for none.</summary>
    public string? AdminTcpAddress { get; init; } = "127.0.0.1:9999";

    /// <summary>DNS server (ip:port) for a resolvers section; Docker's embedded DNS by default, null for none.</summary>
    public string? Nameserver { get; init; } = "127.0.0.11:53";

    /// <summary>The frontend's bind address; null binds the topology's port on all of the container's interfaces.</summary>
    public string? FrontendBind { get; init; }

    /// <summary>host:port per web node, for an HAProxy outside Docker; a node not listed is reached as name:8080.</summary>
    public IReadOnlyDictionary<string, string>? WebNodeAddresses { get; init; }
}

/// <summary>Renders haproxy.cfg for the load balancer tier. Pure: the same spec gives the same text.</summary>
public static class HaproxyRenderer
{
    public const string BackendName = "web";
    public const string ResolversName = "docker";

    public static string Render(TopologySpec spec, HaproxyRenderOptions? options = null)
    {
        options ??= new HaproxyRenderOptions();
        var lb = spec.LoadBalancer;
        var hc = lb.HealthCheck;
        var b = new StringBuilder();
        b.AppendLine($"# haproxy.cfg for topology '{spec.Name}', rendered by HaPortal. Do not edit: changes are overwritten.");
        b.AppendLine();
        b.AppendLine("global");
        // master-worker: a reload (USR2) starts new workers while old ones finish their connections.
        b.AppendLine("    master-worker");
        b.AppendLine("    log stdout format raw local0");
        b.AppendLine("    maxconn 4096");
        // The portal drives weight/drain/maint through this socket; expose-fd lets a reload take over listeners.
        b.AppendLine($"    stats socket {options.AdminSocketPath} mode 660 level admin expose-fd listeners");
        if (options.AdminTcpAddress is { } tcp)
            b.AppendLine($"    stats socket ipv4@{tcp} level admin");
        b.AppendLine("    stats timeout 30s");
        b.AppendLine();
        if (options.Nameserver is { } ns)
        {
            // Web nodes are containers that come and go: re-resolve their names at run time.
            b.AppendLine($"resolvers {ResolversName}");
            b.AppendLine($"    nameserver dns1 {ns}");
            b.AppendLine("    resolve_retries 3");
            b.AppendLine("    timeout resolve 1s");
            b.AppendLine("    timeout retry 1s");
            b.AppendLine("    hold valid 10s");
            b.AppendLine("    hold nx 10s");
            b.AppendLine("    hold obsolete 10s");
            b.AppendLine();
        }
        b.AppendLine("defaults");
        b.AppendLine("    mode http");
        b.AppendLine("    log global");
        b.AppendLine("    option httplog");
        b.AppendLine("    option dontlognull");
        b.AppendLine("    option forwardfor");
        // With sticky sessions, a request whose cookie names a dead server goes to a live one instead of failing.
        b.AppendLine("    option redispatch");
        // On a reload the old worker would close idle keep-alive connections mid-race and clients saw read errors
        // (7–26 per 100 reloads under wrk); with this it closes them only after answering (see Haproxy/README.md).
        b.AppendLine("    option idle-close-on-response");
        b.AppendLine("    retries 3");
        b.AppendLine("    timeout connect 5s");
        b.AppendLine("    timeout client 30s");
        b.AppendLine("    timeout server 30s");
        b.AppendLine("    timeout http-request 10s");
        b.AppendLine("    timeout http-keep-alive 10s");
        b.AppendLine("    timeout queue 30s");
        b.AppendLine("    timeout check 5s");
        b.AppendLine();
        b.AppendLine("frontend http-in");
        // The container port; publishing it on the host is the deployer's job.
        b.AppendLine($"    bind {options.FrontendBind ?? $"*:{lb.PublishPort}"}");
        b.AppendLine($"    default_backend {BackendName}");
        b.AppendLine();
        b.AppendLine($"backend {BackendName}");
        b.AppendLine($"    balance {Balance(lb.Balance)}");
        if (lb.StickySessions.Enabled)
            b.AppendLine($"    {CookieDirective(lb.StickySessions)}");
        b.AppendLine($"    option httpchk GET {hc.Path}");
        b.AppendLine($"    http-check expect status {hc.ExpectStatus}");
        // init-addr last,libc,none: start even when a web node's name does not resolve yet; the server stays
        // down (health check) until it does.
        var resolvers = options.Nameserver is null ? "" : $" resolvers {ResolversName} resolve-prefer ipv4";
        // fastinter: while a server's state is in question (fewer than rise+fall-1 straight answers, which includes a
        // freshly started HAProxy's first checks) check four times as often, so a dead web node leaves the rotation
        // after one interval plus two short ones, and a new one joins without waiting out whole intervals.
        b.AppendLine($"    default-server inter {hc.IntervalMs}ms fastinter {FastInterval(hc.IntervalMs)}ms rise {hc.Rise} fall {hc.Fall} init-addr last,libc,none{resolvers}");
        foreach (var node in spec.Web.Nodes)
        {
            var cookie = lb.StickySessions.Enabled ? $" cookie {node.Name}" : "";
            var address = options.WebNodeAddresses?.GetValueOrDefault(node.Name) ?? $"{node.Name}:{StackPorts.WebNode}";
            b.AppendLine($"    server {node.Name} {address} check {InitialState(node)}{cookie}");
        }
        if (lb.Stats.Enabled)
        {
            b.AppendLine();
            b.AppendLine("listen stats");
            // Bound on all interfaces of the container only: the deployer publishes it on the host's
            // 127.0.0.1, never on all host interfaces, so it carries no login of its own.
            b.AppendLine($"    bind *:{lb.Stats.PublishPort}");
            b.AppendLine("    stats enable");
            b.AppendLine("    stats uri /stats");
            b.AppendLine("    stats refresh 5s");
            b.AppendLine("    stats show-legends");
        }
        return b.ToString();
    }

    /// <summary>A quarter of the check interval, not below 100 ms (HAProxy's checks are cheap; a web node's /health is too).</summary>
    internal static int FastInterval(int intervalMs) => Math.Min(intervalMs, Math.Max(100, intervalMs / 4));

    public static string Balance(BalanceAlgorithm algorithm) => algorithm switch
    {
        BalanceAlgorithm.RoundRobin => "roundrobin",
        BalanceAlgorithm.LeastConn => "leastconn",
        BalanceAlgorithm.Source => "source",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown balance algorithm."),
    };

    /// <summary>
    /// The server's weight and admin state at start. HAProxy has a config keyword for maintenance (<c>disabled</c>)
    /// but none for drain; weight 0 is what drain does (no new sessions, sticky ones still arrive), so a drained
    /// node starts at weight 0 and "ready" puts its stored weight back.
    /// </summary>
    public static string InitialState(WebNodeSpec node) => node.State switch
    {
        WebNodeState.Ready => $"weight {node.Weight}",
        WebNodeState.Drain => "weight 0",
        WebNodeState.Maint => $"weight {node.Weight} disabled",
        _ => throw new ArgumentOutOfRangeException(nameof(node), node.State, "Unknown web node state."),
    };

    /// <summary>The backend's cookie line, in HAProxy's spelling of each stickiness mode and its options.</summary>
    public static string CookieDirective(StickySessionSpec sticky)
    {
        var mode = sticky.Mode switch
        {
            // HAProxy adds its own cookie.
            StickyMode.Insert => "insert",
            // The application sets the cookie; HAProxy overwrites its value with the server name.
            StickyMode.Rewrite => "rewrite",
            // The application's own cookie (e.g. a session id) gets the server name as a prefix.
            StickyMode.Prefix => "prefix",
            _ => throw new ArgumentOutOfRangeException(nameof(sticky), sticky.Mode, "Unknown sticky mode."),
        };
        // indirect: no cookie for a client that already has a valid one (insert also strips it before the server);
        // nocache: shared caches must not store a response that sets it.
        return $"cookie {sticky.Cookie} {mode}{(sticky.Indirect ? " indirect" : "")}{(sticky.NoCache ? " nocache" : "")}";
    }
}
