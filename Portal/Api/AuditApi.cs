using HaPortal.Core.Audit;

namespace HaPortal.Api;

public static class AuditApi
{
    public static void MapAuditApi(this RouteGroupBuilder api) =>
        api.MapGet("/audit", (AuditLog audit, string? user, string? action, string? target, DateTimeOffset? from, DateTimeOffset? to,
                int? limit, CancellationToken ct) =>
            audit.QueryAsync(new AuditQuery(user, action, target, from, to, Math.Clamp(limit ?? 200, 1, 5000)), ct));
}
