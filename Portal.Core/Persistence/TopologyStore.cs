using HaPortal.Core.Audit;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using Microsoft.EntityFrameworkCore;

namespace HaPortal.Core.Persistence;

public sealed record TopologySummary(string Name, int LatestRevision, DateTimeOffset UpdatedAt, string UpdatedBy);

public sealed record RevisionInfo(int Number, string Author, DateTimeOffset CreatedAt, string Comment);

public sealed record StoredTopology(TopologySpec Spec, RevisionInfo Revision);

/// <summary>The result of a save: the new revision, or the problems that prevented it (nothing was stored).</summary>
public sealed record SaveOutcome(RevisionInfo? Revision, ValidationReport Report)
{
    public bool Saved => Revision is not null;
}

/// <summary>
/// Topologies in SQLite as revisions: every save adds one (author, time, comment) and an audit entry,
/// in one transaction. Invalid topologies are never stored.
/// </summary>
public sealed class TopologyStore(IDbContextFactory<PortalDb> dbs, AuditLog audit, TimeProvider time)
{
    public async Task<IReadOnlyList<TopologySummary>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        var rows = await db.Topologies.AsNoTracking()
            .Select(t => new { t.Name, Latest = t.Revisions.OrderByDescending(r => r.Number).First() })
            .ToListAsync(ct).ConfigureAwait(false);
        return rows.Select(r => new TopologySummary(r.Name, r.Latest.Number, r.Latest.CreatedAt, r.Latest.Author))
            .OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>The latest revision, or the given one; null when the topology or revision does not exist.</summary>
    public async Task<StoredTopology?> GetAsync(string name, int? revision = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        var query = db.Revisions.AsNoTracking()
            .Where(r => db.Topologies.Any(t => t.Id == r.TopologyId && t.Name == name));
        var row = revision is { } n
            ? await query.FirstOrDefaultAsync(r => r.Number == n, ct).ConfigureAwait(false)
            : await query.OrderByDescending(r => r.Number).FirstOrDefaultAsync(ct).ConfigureAwait(false);
        if (row is null) return null;
        var parsed = TopologyYaml.Parse(row.Yaml);
        // Only valid topologies are stored, so a parse failure here means the file was edited by hand.
        var spec = parsed.Spec ?? throw new InvalidDataException($"Revision {row.Number} of '{name}' cannot be read: {parsed.Report.Problems[0]}");
        return new(spec, Info(row));
    }

    public async Task<IReadOnlyList<RevisionInfo>> HistoryAsync(string name, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        var rows = await db.Revisions.AsNoTracking()
            .Where(r => db.Topologies.Any(t => t.Id == r.TopologyId && t.Name == name))
            .OrderByDescending(r => r.Number).ToListAsync(ct).ConfigureAwait(false);
        return rows.Select(Info).ToList();
    }

    /// <summary>
    /// Validates and stores <paramref name="spec"/> as the next revision of the topology of the same name (creating it
    /// when new). Nothing is stored while any error remains. Saving a topology identical to its latest revision adds nothing.
    /// </summary>
    public async Task<SaveOutcome> SaveAsync(TopologySpec spec, Actor actor, string comment, CancellationToken ct = default)
    {
        actor.EnsureCanChange("save a topology");
        var report = TopologyValidator.Validate(spec);
        if (!report.IsValid) return new(null, report);

        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        var topology = await db.Topologies.Include(t => t.Revisions)
            .FirstOrDefaultAsync(t => t.Name == spec.Name, ct).ConfigureAwait(false);
        var latest = topology?.Revisions.MaxBy(r => r.Number);
        var yaml = TopologyYaml.Serialize(spec);
        if (latest is not null && latest.Yaml == yaml) return new(Info(latest), report);

        topology ??= db.Topologies.Add(new TopologyRecord { Name = spec.Name }).Entity;
        var revision = new TopologyRevision
        {
            Number = (latest?.Number ?? 0) + 1,
            Yaml = yaml,
            Author = actor.Name,
            CreatedAt = time.GetUtcNow(),
            Comment = comment,
        };
        topology.Revisions.Add(revision);
        var summary = latest is null
            ? $"created topology '{spec.Name}'"
            : $"saved revision {revision.Number}: {DescribeChanges(latest.Yaml, spec)}";
        audit.Add(db, actor, "topology.save", spec.Name, summary, latest?.Yaml, yaml);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        return new(Info(revision), report);
    }

    /// <summary>Stores an old revision's content as a new revision; history is never rewritten.</summary>
    public async Task<SaveOutcome?> RestoreAsync(string name, int revision, Actor actor, CancellationToken ct = default)
    {
        actor.EnsureCanChange("restore a revision");
        var old = await GetAsync(name, revision, ct).ConfigureAwait(false);
        return old is null ? null : await SaveAsync(old.Spec, actor, $"restored revision {revision}", ct).ConfigureAwait(false);
    }

    public async Task<bool> DeleteAsync(string name, Actor actor, CancellationToken ct = default)
    {
        actor.EnsureCanChange("delete a topology");
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        var topology = await db.Topologies.Include(t => t.Revisions).FirstOrDefaultAsync(t => t.Name == name, ct).ConfigureAwait(false);
        if (topology is null) return false;
        var latest = topology.Revisions.MaxBy(r => r.Number);
        db.Topologies.Remove(topology);
        audit.Add(db, actor, "topology.delete", name, $"deleted topology '{name}' ({topology.Revisions.Count} revisions)", latest?.Yaml);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        return true;
    }

    private static string DescribeChanges(string beforeYaml, TopologySpec after)
    {
        var before = TopologyYaml.Parse(beforeYaml).Spec;
        if (before is null) return "replaced";
        var changes = TopologyDiff.Compare(before, after);
        var shown = changes.Take(3).Select(c => $"{c.Path} {c.Before ?? "∅"} → {c.After ?? "∅"}");
        return string.Join("; ", shown) + (changes.Count > 3 ? $" and {changes.Count - 3} more" : "");
    }

    private static RevisionInfo Info(TopologyRevision r) => new(r.Number, r.Author, r.CreatedAt, r.Comment);
}
