using Bunit;
using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using HaPortal.Core.ProxySql;
using HaPortal.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace HaPortal.Tests.ProxySql;

/// <summary>What the ProxySQL pages need under bunit: MudBlazor, the admin endpoints, a test database's store and audit, an Operator.</summary>
internal static class ProxySqlPageServices
{
    /// <param name="time">The page's clock; null keeps the system clock, which the live refresh of some tests needs.</param>
    public static void AddProxySqlPage(this BunitContext ctx, TestDatabase db, string adminEndpoints, string adminPassword, TimeProvider? time = null)
    {
        ctx.Services.AddMudServices();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ProxySql:AdminEndpoint"] = adminEndpoints,
            ["ProxySql:AdminPassword"] = adminPassword,
        }).Build());
        ctx.Services.AddSingleton<TopologyStore>(db.Topologies);
        ctx.Services.AddSingleton<AuditLog>(db.Audit);
        if (time is not null) ctx.Services.AddSingleton(time);
        ctx.Services.AddProxySql();
        ctx.AddAuthorization().SetAuthorized("olga").SetRoles("Operator");
    }
}
