using System.Globalization;
using HaPortal.Core.Replication;

namespace HaPortal.Components.Pages.Replication;

/// <summary>The last <see cref="Capacity"/> lag samples per replica, for the lag chart (per page: scoped to a circuit).</summary>
public sealed class LagHistory
{
    public const int Capacity = 60;
    private readonly Dictionary<string, Queue<double?>> _samples = new(StringComparer.Ordinal);

    public IEnumerable<string> Nodes => _samples.Keys.Order(StringComparer.Ordinal);

    /// <summary>Adds one sample per replica of the view; a replica without a lag figure (threads stopped, unreachable) gets a gap.</summary>
    public void Add(ClusterView view)
    {
        foreach (var n in view.Nodes.Where(n => n.Name != view.Cluster.ExpectedPrimary))
        {
            if (!_samples.TryGetValue(n.Name, out var q)) _samples[n.Name] = q = new Queue<double?>();
            q.Enqueue(n.Replica?.SecondsBehind);
            while (q.Count > Capacity) q.Dequeue();
        }
    }

    public IReadOnlyList<double?> Samples(string node) => _samples.TryGetValue(node, out var q) ? [.. q] : [];

    public double Max => Math.Max(1, _samples.Values.SelectMany(q => q).Max() ?? 0);

    /// <summary>SVG polyline segments (gaps split the line) scaled to the chart box.</summary>
    public IReadOnlyList<string> Polylines(string node, double width, double height)
    {
        var samples = Samples(node);
        var lines = new List<string>();
        var current = new List<string>();
        for (var i = 0; i < samples.Count; i++)
        {
            if (samples[i] is not { } v)
            {
                if (current.Count > 0) lines.Add(string.Join(' ', current));
                current.Clear();
                continue;
            }
            var x = width * i / (Capacity - 1);
            var y = height - height * v / Max;
            current.Add(string.Create(CultureInfo.InvariantCulture, $"{x:0.#},{y:0.#}"));
        }
        if (current.Count > 0) lines.Add(string.Join(' ', current));
        return lines;
    }
}
