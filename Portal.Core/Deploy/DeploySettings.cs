using System.Collections.Immutable;
using System.Security.Cryptography;

namespace HaPortal.Core.Deploy;

/// <summary>How a topology maps onto an engine: image names per role and where ports are published.</summary>
public sealed record DeploySettings
{
    public const string Section = "Deploy";

    public string LoadBalancerImage { get; init; } = "haportal/haproxy:dev";
    public string WebImage { get; init; } = "haportal/web:dev";
    public string DatabaseImage { get; init; } = "haportal/mariadb:dev";
    public string RouterImage { get; init; } = "proxysql/proxysql:2.6.5";
    public string KeepalivedImage { get; init; } = "haportal/keepalived:dev";

    /// <summary>Host address the load balancer's port is published on; tests use 127.0.0.1. Stats are always on 127.0.0.1.</summary>
    public string PublishAddress { get; init; } = "0.0.0.0";

    /// <summary>Longest wait for one node to become ready (a query answered, an HTTP check passed).</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// How often Docker runs an image's health check in a container of a (one-host) Docker deploy. The deploy waits on
    /// its own readiness probes, so there the check only feeds <c>status</c>; each check is an exec that costs the
    /// engine about 0.1 s of CPU, which the images' 5 s (kept for Swarm, whose tasks start on their first passed check)
    /// spent on every container all the time, and during an apply beside the containers booting (ADR 0014).
    /// </summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// Passwords of one stack, generated once per topology and kept encrypted by <see cref="SecretsStore"/>. Never
/// logged, never part of a plan or a hash; they reach containers only as environment variables.
/// </summary>
public sealed record StackSecrets(string ReplicationPassword, string AppPassword, string MonitorPassword)
{
    public const string ReplicationVariable = "HAPORTAL_REPL_PASSWORD";
    public const string AppVariable = "HAPORTAL_APP_PASSWORD";
    public const string MonitorVariable = "HAPORTAL_MONITOR_PASSWORD";

    /// <summary>The portal's own administrative login on the databases (<see cref="BootstrapSql.AdminUser"/>): replication status, switchover, failover.</summary>
    public const string AdminVariable = "HAPORTAL_DBADMIN_PASSWORD";
    public static readonly ImmutableArray<string> Variables = [ReplicationVariable, AppVariable, MonitorVariable, AdminVariable];

    /// <summary>
    /// Password of <see cref="BootstrapSql.AdminUser"/>. Not positional, so stacks and callers from before it keep working: a
    /// stack deployed without it gets a fresh one (its database containers are recreated once to carry it).
    /// </summary>
    public string AdminPassword { get; init; } = NewPassword();

    /// <summary>32 random bytes as hex: safe unquoted in SQL strings, shell and connection strings.</summary>
    public static StackSecrets Generate() => new(NewPassword(), NewPassword(), NewPassword());

    /// <summary>
    /// The secrets carried by a running primary's environment, or null when any of the first three is missing. An
    /// environment from before <see cref="AdminVariable"/> gets a fresh admin password.
    /// </summary>
    public static StackSecrets? FromEnvironment(IReadOnlyDictionary<string, string> env) =>
        env.TryGetValue(ReplicationVariable, out var repl) && env.TryGetValue(AppVariable, out var app)
        && env.TryGetValue(MonitorVariable, out var monitor)
            ? env.TryGetValue(AdminVariable, out var admin) && admin.Length > 0
                ? new StackSecrets(repl, app, monitor) { AdminPassword = admin }
                : new StackSecrets(repl, app, monitor)
            : null;

    /// <summary>
    /// Variable name → value, the form the store, <c>.env</c> files and containers share. A secret added later must be
    /// listed here (and in <see cref="Variables"/> and <see cref="FromEnvironment"/>) so stored stacks get it generated.
    /// </summary>
    public ImmutableSortedDictionary<string, string> ToVariables() => ImmutableSortedDictionary<string, string>.Empty
        .Add(ReplicationVariable, ReplicationPassword)
        .Add(AppVariable, AppPassword)
        .Add(MonitorVariable, MonitorPassword)
        .Add(AdminVariable, AdminPassword);

    private static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public override string ToString() => "StackSecrets { *** }";
}
