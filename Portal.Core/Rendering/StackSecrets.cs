using System.Security.Cryptography;

namespace HaPortal.Core.Rendering;

/// <summary>
/// The credentials a stack needs. <see cref="ToString"/> never shows a value, so a secrets object that ends
/// up in a log line or an exception message leaks nothing.
/// </summary>
public sealed record StackSecrets
{
    public required string AppPassword { get; init; }
    public required string ReplicationUser { get; init; }
    public required string ReplicationPassword { get; init; }
    public required string MonitorUser { get; init; }
    public required string MonitorPassword { get; init; }

    /// <summary>
    /// ProxySQL admin login used by the portal over the stack network. Not "admin": ProxySQL only lets
    /// the built-in admin user in from localhost.
    /// </summary>
    public required string ProxySqlAdminUser { get; init; }

    public required string ProxySqlAdminPassword { get; init; }

    /// <summary>VRRP PASS authentication; keepalived uses only the first 8 characters, so it has exactly 8.</summary>
    public required string VrrpPassword { get; init; }

    public const int VrrpPasswordLength = 8;

    /// <summary>
    /// Fixed, obviously fake values for rendering files outside a deploy: a file render must not invent
    /// secrets that no database will ever hold.
    /// </summary>
    public static StackSecrets Placeholders { get; } = new()
    {
        AppPassword = "CHANGE-ME-app-password",
        ReplicationUser = "repl",
        ReplicationPassword = "CHANGE-ME-replication-password",
        MonitorUser = "monitor",
        MonitorPassword = "CHANGE-ME-monitor-password",
        ProxySqlAdminUser = "portal",
        ProxySqlAdminPassword = "CHANGE-ME-proxysql-admin-password",
        VrrpPassword = "CHANGEME",
    };

    /// <summary>Fresh random passwords (letters and digits only, so they survive every config syntax unquoted).</summary>
    public static StackSecrets Generate() => new()
    {
        AppPassword = RandomPassword(24),
        ReplicationUser = "repl",
        ReplicationPassword = RandomPassword(24),
        MonitorUser = "monitor",
        MonitorPassword = RandomPassword(24),
        ProxySqlAdminUser = "portal",
        ProxySqlAdminPassword = RandomPassword(24),
        VrrpPassword = RandomPassword(VrrpPasswordLength),
    };

    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    private static string RandomPassword(int length) => RandomNumberGenerator.GetString(Alphabet, length);

    public override string ToString() =>
        $"StackSecrets {{ ReplicationUser = {ReplicationUser}, MonitorUser = {MonitorUser}, ProxySqlAdminUser = {ProxySqlAdminUser}, passwords redacted }}";
}
