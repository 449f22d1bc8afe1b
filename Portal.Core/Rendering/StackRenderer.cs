using HaPortal.Core.Topology;

namespace HaPortal.Core.Rendering;

public sealed record StackRenderOptions
{
    public HaproxyRenderOptions Haproxy { get; init; } = new();
    public KeepalivedRenderOptions Keepalived { get; init; } = new();
}

/// <summary>Every config file of a stack, as paths relative to one render root.</summary>
public static class StackRenderer
{
    public static IReadOnlyList<RenderedFile> RenderAll(TopologySpec spec, StackSecrets secrets, StackRenderOptions? options = null)
    {
        options ??= new StackRenderOptions();
        var files = new List<RenderedFile> { new("haproxy/haproxy.cfg", HaproxyRenderer.Render(spec, options.Haproxy)) };
        if (spec.SqlRouter is { } router)
        {
            var cnf = ProxySqlRenderer.RenderCnf(spec, secrets);
            files.AddRange(router.Nodes.Select(n => new RenderedFile($"proxysql/{n.Name}/proxysql.cnf", cnf)));
            files.Add(new("proxysql/admin.sql", ProxySqlRenderer.RenderAdminScript(spec, secrets)));
        }
        var db = spec.Database;
        var dbNodes = (db.Primary is { } primary ? [primary.Name] : Array.Empty<string>()).Concat(db.Replicas.Select(r => r.Name));
        files.AddRange(dbNodes.Select(name => new RenderedFile($"mysql/{name}/my.cnf", MyCnfRenderer.Render(spec, name))));
        files.AddRange(KeepalivedRenderer.Nodes(spec)
            .Select(name => new RenderedFile($"keepalived/{name}/keepalived.conf", KeepalivedRenderer.Render(spec, name, secrets, options.Keepalived))));
        return files;
    }
}
