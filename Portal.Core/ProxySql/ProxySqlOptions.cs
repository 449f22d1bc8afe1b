namespace HaPortal.Core.ProxySql;

/// <summary>
/// Settings section "ProxySql": where the portal reaches ProxySQL's admin interface until the deploy work provides
/// each stack's endpoint. Env: ProxySql__AdminEndpoint, ProxySql__AdminUser, ProxySql__AdminPassword, ProxySql__Topology.
/// </summary>
public sealed class ProxySqlOptions
{
    public const string Section = "ProxySql";

    /// <summary>host:port of each node's admin interface, comma-separated; the first is the canary. Empty: not configured.</summary>
    public string? AdminEndpoint { get; set; }

    public string AdminUser { get; set; } = "admin";

    /// <summary>Never logged or returned by the API.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>Stored topology that rule changes are written back to; none when empty.</summary>
    public string? Topology { get; set; }

    /// <summary>The nodes, or the problem with the settings.</summary>
    public IReadOnlyList<IProxySqlAdmin> Nodes(IProxySqlAdminFactory factory, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(AdminEndpoint))
        {
            problem = "ProxySQL is not configured: set ProxySql:AdminEndpoint (host:port of the admin interface) and ProxySql:AdminPassword.";
            return [];
        }
        var nodes = new List<IProxySqlAdmin>();
        foreach (var address in AdminEndpoint.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (ProxySqlEndpoint.Parse(address, AdminUser, AdminPassword ?? "", out var p) is { } endpoint) nodes.Add(factory.Connect(endpoint));
            else problem = $"ProxySql:AdminEndpoint: {p}";
        }
        return problem is null ? nodes : [];
    }
}
