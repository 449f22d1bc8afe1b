using System.Collections.Immutable;
using System.Text.Json;
using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using Microsoft.EntityFrameworkCore;

namespace HaPortal.Core.Replication;

/// <summary>A kept drill: its report fields, the topology revision it ran on, when and by whom.</summary>
public sealed record StoredDrill(long Id, string Topology, int Revision, DateTimeOffset At, DrillKind Kind, string Actor, bool Succeeded,
    double? UnavailableMs, int Acknowledged, int Lost, int Duplicated, string OldPrimary, string? NewPrimary, string Summary, ImmutableArray<DrillEvent> Timeline);

/// <summary>Keeps drill results per topology revision and audits each drill.</summary>
public sealed class DrillStore(IDbContextFactory<PortalDb> dbs, AuditLog audit, TimeProvider time)
{
    public async Task<StoredDrill> SaveAsync(DrillReport report, int revision, Actor actor, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        var row = new DrillResultRecord
        {
            Topology = report.Topology, Revision = revision, At = time.GetUtcNow(), Kind = report.Kind.ToString(), Actor = actor.Name,
            Succeeded = report.Succeeded, UnavailableMs = report.UnavailableMs, Acknowledged = report.Acknowledged, Lost = report.Lost,
            Duplicated = report.Duplicated, OldPrimary = report.OldPrimary, NewPrimary = report.NewPrimary, Summary = report.Summary,
            TimelineJson = JsonSerializer.Serialize(report.Timeline),
        };
        db.DrillResults.Add(row);
        audit.Add(db, actor, "replication.drill", report.Topology, report.Summary, before: report.OldPrimary, after: report.NewPrimary);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        return ToStored(row);
    }

    /// <summary>The topology's drills, oldest first (the chart's order).</summary>
    public async Task<IReadOnlyList<StoredDrill>> ListAsync(string topology, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        var rows = await db.DrillResults.AsNoTracking().Where(d => d.Topology == topology).OrderBy(d => d.Id).ToListAsync(ct).ConfigureAwait(false);
        return rows.Select(ToStored).ToList();
    }

    private static StoredDrill ToStored(DrillResultRecord r) => new(r.Id, r.Topology, r.Revision, r.At, Enum.Parse<DrillKind>(r.Kind), r.Actor, r.Succeeded,
        r.UnavailableMs, r.Acknowledged, r.Lost, r.Duplicated, r.OldPrimary, r.NewPrimary, r.Summary,
        JsonSerializer.Deserialize<ImmutableArray<DrillEvent>>(r.TimelineJson));
}
