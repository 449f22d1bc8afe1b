using HaPortal.Core.Audit;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Haproxy;
using HaPortal.Core.Persistence;
using HaPortal.Core.ProxySql;
using HaPortal.Core.Replication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HaPortal.Hosting;

/// <summary>The control plane's services shared by the admin host and the command line.</summary>
public static class CoreServices
{
    public static IServiceCollection AddPortalCore(this IServiceCollection services, PortalOptions options)
    {
        Directory.CreateDirectory(options.DataFolder);
        services.TryAddSingleton(TimeProvider.System);
        // One key ring for the admin host and the command line: login cookies, and the stacks' secrets a command stores
        // and the portal reads back (docs/decisions/0010-stack-secrets-encrypted-with-data-protection.md).
        services.AddDataProtection()
            .PersistKeysToFileSystem(KeyFolder(options))
            .SetApplicationName("HaPortal");
        services.AddDbContextFactory<PortalDb>(o => o.UseSqlite($"Data Source={options.DatabasePath}"));
        services.TryAddSingleton<AuditLog>();
        services.TryAddSingleton<TopologyStore>();
        services.TryAddSingleton<BackendOperations>();
        services.TryAddSingleton<HaproxyTargets>();
        services.AddProxySql();
        services.TryAddSingleton<NoRouterSwitch>();
        services.TryAddSingleton<IRoutingSwitch>(sp => sp.GetRequiredService<NoRouterSwitch>());
        services.TryAddSingleton<ConfiguredReplication>();
        // A topology deployed to the engine is operated through its containers; otherwise through the configured endpoints.
        services.TryAddSingleton(sp => new DeployedReplication(sp.GetRequiredService<ConfiguredReplication>(),
            sp.GetService<IContainerEngine>() is { } engine
                ? new DockerReplication(engine, sp.GetService<DeploySettings>() ?? new DeploySettings(), sp.GetRequiredService<TopologyStore>(),
                    sp.GetRequiredService<AuditLog>(), sp.GetRequiredService<TimeProvider>())
                : null));
        services.TryAddSingleton<IReplicationResolver>(sp => sp.GetRequiredService<DeployedReplication>());
        services.TryAddSingleton<MonitorDecisionLog>();
        services.TryAddSingleton<DrillStore>();
        services.TryAddSingleton<DrillSession>();
        return services;
    }

    /// <summary>
    /// <c>DataFolder/keys</c>, readable by the portal's user only (0700): the keys open the stored stack secrets. On
    /// Linux the key files themselves are plain XML, as Data Protection writes them without a certificate or DPAPI.
    /// </summary>
    public static DirectoryInfo KeyFolder(PortalOptions options)
    {
        var path = Path.GetFullPath(Path.Combine(options.DataFolder, "keys"));
        if (OperatingSystem.IsWindows()) return Directory.CreateDirectory(path);
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var folder = Directory.CreateDirectory(path, OwnerOnly);
        // An existing folder (made by an older version) is tightened too.
        if (File.GetUnixFileMode(path) != OwnerOnly) File.SetUnixFileMode(path, OwnerOnly);
        return folder;
    }

    /// <summary>Creates or upgrades the database to the latest migration; safe to call on every start.</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<PortalDb>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        // Every command starts here. Migrate takes the migration lock and compares the model with the migrations'
        // snapshot even when nothing is pending: ≈0.3 s of every command's start-up. Asking first is one query.
        // (Tests still get the comparison: TestDatabase migrates with Migrate itself.)
        if (!(await db.Database.GetPendingMigrationsAsync(ct)).Any())
            return;
        await db.Database.MigrateAsync(ct);
    }
}
