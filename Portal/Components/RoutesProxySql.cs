namespace HaPortal.Components;

public static partial class Routes
{
    /// <summary>ProxySQL query rules: table in evaluation order, editor, test bench, dry run, drift.</summary>
    public const string ProxySqlRules = "/proxysql/rules";

    /// <summary>ProxySQL servers per hostgroup, live connection-pool chart, top digests, read routing.</summary>
    public const string ProxySqlServers = "/proxysql/servers";
}
