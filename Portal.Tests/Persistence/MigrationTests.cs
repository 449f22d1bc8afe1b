using HaPortal.Core.Persistence;
using HaPortal.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace HaPortal.Tests.Persistence;

/// <summary>The start-up migration every command and the portal run: creates, upgrades, and leaves a current database alone.</summary>
public sealed class MigrationTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"haportal-migrate-{Guid.NewGuid():N}.db");
    private readonly ServiceProvider _services;

    public MigrationTests() =>
        _services = new ServiceCollection()
            .AddDbContextFactory<PortalDb>(o => o.UseSqlite($"Data Source={_path};Pooling=false"))
            .BuildServiceProvider();

    private PortalDb Open() => _services.GetRequiredService<IDbContextFactory<PortalDb>>().CreateDbContext();

    [Fact]
    public async Task Migrate_NoDatabase_CreatesEveryMigration()
    {
        await CoreServices.MigrateAsync(_services, TestContext.Current.CancellationToken);

        await using var db = Open();
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await db.StackSecrets.ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Migrate_OlderDatabase_AppliesTheRest()
    {
        List<string> all;
        await using (var db = Open())
        {
            all = db.Database.GetMigrations().ToList();
            await db.GetService<IMigrator>().MigrateAsync(all[0], TestContext.Current.CancellationToken);
        }

        await CoreServices.MigrateAsync(_services, TestContext.Current.CancellationToken);

        await using var after = Open();
        Assert.Equal(all, await after.Database.GetAppliedMigrationsAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Migrate_CurrentDatabase_ChangesNothing()
    {
        await CoreServices.MigrateAsync(_services, TestContext.Current.CancellationToken);
        var before = File.GetLastWriteTimeUtc(_path);
        var length = new FileInfo(_path).Length;

        await CoreServices.MigrateAsync(_services, TestContext.Current.CancellationToken);

        await using var db = Open();
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync(TestContext.Current.CancellationToken));
        Assert.Equal((before, length), (File.GetLastWriteTimeUtc(_path), new FileInfo(_path).Length));
    }

    public void Dispose()
    {
        _services.Dispose();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" }) File.Delete(f);
    }
}
