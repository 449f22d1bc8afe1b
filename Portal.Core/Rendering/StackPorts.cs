namespace HaPortal.Core.Rendering;

/// <summary>
/// Ports inside the stack's containers. The one place they are written down: the renderers, the deployer
/// and the health probes all read them from here.
/// </summary>
public static class StackPorts
{
    /// <summary>Every web node listens here inside its container; HAProxy reaches it as name:8080.</summary>
    public const int WebNode = 8080;

    /// <summary>ProxySQL's MySQL-protocol port, where the web nodes connect.</summary>
    public const int ProxySqlMysql = 6033;

    /// <summary>ProxySQL's admin interface; never published, reached on the stack network only.</summary>
    public const int ProxySqlAdmin = 6032;

    public const int Database = 3306;
}
