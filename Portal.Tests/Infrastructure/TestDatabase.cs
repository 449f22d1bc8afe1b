using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace HaPortal.Tests.Infrastructure;

/// <summary>A real SQLite control-plane database in a temp file, migrated like the portal does at start.</summary>
public sealed class TestDatabase : IDbContextFactory<PortalDb>, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"haportal-{Guid.NewGuid():N}.db");
    private readonly DbContextOptions<PortalDb> _options;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
    public AuditLog Audit { get; }
    public TopologyStore Topologies { get; }

    public TestDatabase()
    {
        _options = new DbContextOptionsBuilder<PortalDb>().UseSqlite($"Data Source={_path};Pooling=false").Options;
        using (var db = CreateDbContext()) db.Database.Migrate();
        Audit = new AuditLog(this, Time);
        Topologies = new TopologyStore(this, Audit, Time);
    }

    public PortalDb CreateDbContext() => new(_options);

    public void Dispose()
    {
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" }) File.Delete(f);
    }
}
