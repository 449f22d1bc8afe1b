using System.Globalization;
using System.Text;
using HaPortal.Core.Topology;

namespace HaPortal.Core.Deploy;

/// <summary>
/// The config files a deploy needs now: haproxy.cfg (no router: web nodes only) and the MariaDB
/// server settings. Deliberately minimal and internal: Portal.Core/Rendering will own these files;
/// when it lands, <see cref="DesiredStackBuilder"/> calls the renderers instead.
/// </summary>
internal static class StackConfig
{
    public const int WebPort = 8080;
    public const int LoadBalancerPort = 80;
    public const int StatsPort = 8404;

    public static string HaproxyCfg(TopologySpec spec)
    {
        var lb = spec.LoadBalancer;
        var hc = lb.HealthCheck;
        var sb = new StringBuilder();
        sb.AppendLine("# Rendered by HaPortal from topology '" + spec.Name + "'. Do not edit: the next apply replaces it.");
        sb.AppendLine("global");
        sb.AppendLine("    stats socket /run/haproxy/admin.sock mode 600 level admin expose-fd listeners");
        sb.AppendLine();
        sb.AppendLine("defaults");
        sb.AppendLine("    mode http");
        sb.AppendLine("    timeout connect 5s");
        sb.AppendLine("    timeout client 30s");
        sb.AppendLine("    timeout server 30s");
        sb.AppendLine();
        // Docker's embedded DNS, so a recreated web node (new address, same name) is found again.
        sb.AppendLine("resolvers docker");
        sb.AppendLine("    nameserver dns 127.0.0.11:53");
        sb.AppendLine("    hold valid 5s");
        sb.AppendLine();
        sb.AppendLine("frontend web");
        sb.AppendLine($"    bind :{LoadBalancerPort}");
        sb.AppendLine("    default_backend web_nodes");
        sb.AppendLine();
        sb.AppendLine("backend web_nodes");
        sb.AppendLine("    balance " + lb.Balance switch
        {
            BalanceAlgorithm.LeastConn => "leastconn",
            BalanceAlgorithm.Source => "source",
            _ => "roundrobin",
        });
        if (lb.StickySessions.Enabled)
            sb.AppendLine($"    cookie {lb.StickySessions.Cookie} " + lb.StickySessions.Mode switch
            {
                StickyMode.Rewrite => "rewrite",
                StickyMode.Prefix => "prefix",
                _ => "insert indirect nocache",
            });
        sb.AppendLine($"    option httpchk GET {hc.Path}");
        sb.AppendLine("    http-check expect status 200");
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"    default-server inter {hc.IntervalMs} rise {hc.Rise} fall {hc.Fall} resolvers docker init-addr last,libc,none"));
        foreach (var node in spec.Web.Nodes)
        {
            var cookie = lb.StickySessions.Enabled ? $" cookie {node.Name}" : "";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"    server {node.Name} {node.Name}:{WebPort} check weight {node.Weight}{cookie}"));
        }
        if (lb.Stats.Enabled)
        {
            sb.AppendLine();
            sb.AppendLine("frontend stats");
            sb.AppendLine($"    bind :{StatsPort}");
            sb.AppendLine("    stats enable");
            sb.AppendLine("    stats uri /");
            sb.AppendLine("    stats refresh 5s");
        }
        return sb.ToString();
    }

    /// <summary>Server settings of one MariaDB node; loaded after Debian's 50-server.cnf, so these win.</summary>
    public static string MariaDbCnf(TopologySpec spec, int serverId, bool replica)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Rendered by HaPortal from topology '" + spec.Name + "'.");
        sb.AppendLine("[mariadbd]");
        sb.AppendLine("bind-address = 0.0.0.0");
        sb.AppendLine("skip-name-resolve = ON");
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"server-id = {serverId}"));
        sb.AppendLine("log-bin = mysql-bin");
        sb.AppendLine("relay-log = relay-bin");
        sb.AppendLine("log-slave-updates = ON");
        sb.AppendLine("binlog-format = ROW");
        sb.AppendLine("gtid-strict-mode = ON");
        if (replica) sb.AppendLine("read-only = ON");
        if (spec.Database.SemiSync)
            sb.AppendLine(replica ? "rpl-semi-sync-slave-enabled = ON" : "rpl-semi-sync-master-enabled = ON");
        return sb.ToString();
    }
}
