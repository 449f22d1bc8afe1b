namespace HaPortal.Components;

/// <summary>Every URL of the admin UI, built in one place so pages never spell routes by hand.</summary>
public static partial class Routes
{
    public const string Home = "/";
    public const string Login = "/login";
    public const string Logout = "/logout";
    public const string Topologies = "/topologies";
    public const string NewTopology = "/topologies/new";
    public const string Users = "/users";
    public const string AuditLog = "/audit";

    public static string Topology(string name) => $"/topologies/{Uri.EscapeDataString(name)}";
    public static string EditTopology(string name) => $"/topologies/{Uri.EscapeDataString(name)}/edit";
    public static string History(string name) => $"/topologies/{Uri.EscapeDataString(name)}/history";

    public static string Diff(string name, int from, int to) =>
        $"/topologies/{Uri.EscapeDataString(name)}/history?from={from}&to={to}";

    /// <summary>The topology file download (HTTP API, cookie-authenticated); the latest revision when none is given.</summary>
    public static string ExportYaml(string name, int? revision = null) =>
        $"/api/topologies/{Uri.EscapeDataString(name)}/yaml" + (revision is { } n ? $"?revision={n}" : "");

    public static string AuditFor(string target) => $"{AuditLog}?target={Uri.EscapeDataString(target)}";

    public static string LoginReturningTo(string returnUrl) => $"{Login}?ReturnUrl={Uri.EscapeDataString(returnUrl)}";
}
