using HaPortal.Core.Audit;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace HaPortal.Core.Persistence;

/// <summary>
/// The control plane's SQLite database: topologies and their revisions, users and roles (ASP.NET Core Identity),
/// the audit log. Used directly through EF Core; there is no repository layer over it.
/// </summary>
public sealed class PortalDb(DbContextOptions<PortalDb> options) : IdentityDbContext<IdentityUser>(options)
{
    public DbSet<TopologyRecord> Topologies => Set<TopologyRecord>();
    public DbSet<TopologyRevision> Revisions => Set<TopologyRevision>();
    public DbSet<AuditEntry> Audit => Set<AuditEntry>();
    public DbSet<DrillResultRecord> DrillResults => Set<DrillResultRecord>();
    public DbSet<StackSecretsRecord> StackSecrets => Set<StackSecretsRecord>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        b.Entity<TopologyRecord>(e =>
        {
            e.HasIndex(t => t.Name).IsUnique();
            e.HasMany(t => t.Revisions).WithOne().HasForeignKey(r => r.TopologyId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<TopologyRevision>(e => e.HasIndex(r => new { r.TopologyId, r.Number }).IsUnique());
        b.Entity<AuditEntry>(e =>
        {
            e.HasIndex(a => a.At);
            // SQLite cannot order by DateTimeOffset; store it as UTC ticks, which sort correctly.
            e.Property(a => a.At).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
        });
        b.Entity<DrillResultRecord>(e =>
        {
            e.HasIndex(d => new { d.Topology, d.At });
            e.Property(d => d.At).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
        });
        b.Entity<StackSecretsRecord>(e =>
        {
            e.HasIndex(r => r.Topology).IsUnique();
            e.Property(r => r.CreatedAt).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
        });
        b.Entity<TopologyRevision>().Property(r => r.CreatedAt)
            .HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
    }
}

public sealed class TopologyRecord
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public List<TopologyRevision> Revisions { get; set; } = [];
}

/// <summary>One saved state of a topology. Revisions are never changed; a restore adds a new one.</summary>
public sealed class TopologyRevision
{
    public int Id { get; set; }
    public int TopologyId { get; set; }
    public int Number { get; set; }

    /// <summary>The topology in its file format: the same text import and export use.</summary>
    public required string Yaml { get; set; }

    public required string Author { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string Comment { get; set; } = "";
}

/// <summary>One failover drill's outcome, kept per topology revision (the revision the drill started from).</summary>
public sealed class DrillResultRecord
{
    public long Id { get; set; }
    public required string Topology { get; set; }
    public int Revision { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Kind { get; set; }
    public required string Actor { get; set; }
    public bool Succeeded { get; set; }
    public double? UnavailableMs { get; set; }
    public int Acknowledged { get; set; }
    public int Lost { get; set; }
    public int Duplicated { get; set; }
    public required string OldPrimary { get; set; }
    public string? NewPrimary { get; set; }
    public required string Summary { get; set; }

    /// <summary>The timeline as JSON (step, ms after the disruption, detail).</summary>
    public required string TimelineJson { get; set; }
}

/// <summary>
/// A deployed topology's generated passwords, one row per topology name (not per revision: the data volumes were made
/// with them). <see cref="Protected"/> is the Data Protection ciphertext of the variable → value map; no plain value
/// is ever stored. Written and read only by <c>Deploy.SecretsStore</c>.
/// </summary>
public sealed class StackSecretsRecord
{
    public int Id { get; set; }
    public required string Topology { get; set; }
    public required string Protected { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
