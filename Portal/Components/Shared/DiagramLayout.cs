using HaPortal.Core.Topology;

namespace HaPortal.Components.Shared;

/// <summary>Coordinates for <see cref="TopologyDiagram"/>: one row per tier, nodes centred, edges between adjacent tiers.</summary>
public sealed class DiagramLayout
{
    public const int NodeW = 150, NodeH = 46, GapX = 30, RowGap = 64, Left = 120, Top = 20;

    public sealed record Node(string Name, NodeRole Role, string Detail, int X, int Y, bool Spof);
    public sealed record Edge(int X1, int Y1, int X2, int Y2, bool Replication);
    public sealed record Box(int X, int Y, int W, int H);
    public sealed record TierLabel(string Label, int Y);

    public List<Node> Nodes { get; } = [];
    public List<Edge> Edges { get; } = [];
    public List<TierLabel> TierLabels { get; } = [];
    public Box? Vip { get; private set; }
    public int Width { get; private set; }
    public int Height { get; private set; }

    public static DiagramLayout Of(TopologySpec spec, ValidationReport report)
    {
        bool Warned(params string[] paths) => report.Warnings.Any(w => paths.Contains(w.Path));
        var router = spec.SqlRouter;
        var db = spec.Database;
        var tiers = new List<(string Label, List<(string Name, NodeRole Role, string Detail, bool Spof)> Nodes)>
        {
            ("HAProxy", [($"lb :{spec.LoadBalancer.PublishPort}", NodeRole.LoadBalancer, spec.LoadBalancer.Balance.ToString().ToLowerInvariant(), false)]),
            ("Web", spec.Web.Nodes.Select(n => (n.Name, NodeRole.Web, $"weight {n.Weight}", Warned("web.nodes"))).ToList()),
        };
        if (router is not null)
            tiers.Add(("ProxySQL", router.Nodes.Select(n => (n.Name, NodeRole.Router, "proxysql", Warned("sqlRouter.nodes", "sqlRouter.virtualIp"))).ToList()));
        if (db.Primary is not null)
            tiers.Add(("Primary", [(db.Primary.Name, NodeRole.Primary, $"{Flavor(db.Flavor)} {db.Version}", Warned("database.replicas"))]));
        if (db.Replicas.Length > 0)
            tiers.Add(("Replicas", db.Replicas.Select(r => (r.Name, NodeRole.Replica, $"replica · prio {r.Priority}", false)).ToList()));

        var layout = new DiagramLayout();
        var widest = Math.Max(3, tiers.Max(t => t.Nodes.Count));
        layout.Width = Left + widest * (NodeW + GapX) + 20;
        var rows = new List<List<Node>>();
        var y = Top;
        foreach (var (label, nodes) in tiers)
        {
            var rowWidth = nodes.Count * NodeW + Math.Max(0, nodes.Count - 1) * GapX;
            var x0 = Left + (layout.Width - Left - 20 - rowWidth) / 2;
            var row = nodes.Select((n, i) => new Node(n.Name, n.Role, n.Detail, x0 + i * (NodeW + GapX), y, n.Spof)).ToList();
            layout.Nodes.AddRange(row);
            layout.TierLabels.Add(new(label, y));
            if (row.FirstOrDefault() is { Role: NodeRole.Router } && router?.VirtualIp is not null)
                layout.Vip = new(row[0].X - 14, y - 26, rowWidth + 28, NodeH + 36);
            rows.Add(row);
            y += NodeH + RowGap;
        }
        for (var i = 0; i + 1 < rows.Count; i++)
        {
            var replication = rows[i + 1].FirstOrDefault()?.Role == NodeRole.Replica;
            foreach (var from in rows[i])
                foreach (var to in rows[i + 1])
                    layout.Edges.Add(new(from.X + NodeW / 2, from.Y + NodeH, to.X + NodeW / 2, to.Y - 2, replication));
        }
        layout.Height = y - RowGap + 20;
        return layout;

    }

    private static string Flavor(DatabaseFlavor f) => f == DatabaseFlavor.MariaDb ? "MariaDB" : "MySQL";
}
