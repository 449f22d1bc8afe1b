using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using Microsoft.EntityFrameworkCore;

namespace HaPortal.Core.Audit;

public sealed record AuditQuery(string? User = null, string? Action = null, string? Target = null,
    DateTimeOffset? From = null, DateTimeOffset? To = null, int Limit = 200);

/// <summary>Writes and reads the audit log. Writes join the caller's unit of work, so a change and its record commit together.</summary>
public sealed class AuditLog(IDbContextFactory<PortalDb> dbs, TimeProvider time)
{
    /// <summary>Adds an entry to <paramref name="db"/> without saving: the caller's SaveChanges commits both.</summary>
    public void Add(PortalDb db, Actor actor, string action, string target, string summary, string? before = null, string? after = null) =>
        db.Audit.Add(new AuditEntry
        {
            At = time.GetUtcNow(), User = actor.Name, Action = action, Target = target,
            Summary = summary, Before = before, After = after,
        });

    public async Task RecordAsync(Actor actor, string action, string target, string summary,
        string? before = null, string? after = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        Add(db, actor, action, target, summary, before, after);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery q, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        IQueryable<AuditEntry> rows = db.Audit.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(q.User)) rows = rows.Where(a => a.User.Contains(q.User));
        if (!string.IsNullOrWhiteSpace(q.Action)) rows = rows.Where(a => a.Action.Contains(q.Action));
        if (!string.IsNullOrWhiteSpace(q.Target)) rows = rows.Where(a => a.Target.Contains(q.Target));
        if (q.From is { } from) rows = rows.Where(a => a.At >= from);
        if (q.To is { } to) rows = rows.Where(a => a.At <= to);
        return await rows.OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Take(q.Limit).ToListAsync(ct).ConfigureAwait(false);
    }
}
