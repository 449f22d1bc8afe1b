using HaPortal.Core.Haproxy;

namespace HaPortal.Components.Pages.Backends;

/// <summary>The last <see cref="Capacity"/> samples of current sessions per server, for the live chart.</summary>
public sealed class SessionHistory
{
    public const int Capacity = 30;
    private readonly Queue<string> _labels = new();
    private readonly Dictionary<string, Queue<double>> _series = new(StringComparer.Ordinal);

    public void Add(DateTimeOffset at, IReadOnlyList<HaproxyBackend> backends)
    {
        _labels.Enqueue(at.ToString("HH:mm:ss"));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var server in backends.SelectMany(b => b.Servers))
        {
            seen.Add(server.Id);
            if (!_series.TryGetValue(server.Id, out var values))
                _series[server.Id] = values = new Queue<double>(Enumerable.Repeat(0.0, _labels.Count - 1));
            values.Enqueue(server.CurrentSessions);
        }
        // A deleted server keeps its line, at zero, until it scrolls out.
        foreach (var (id, values) in _series.Where(s => !seen.Contains(s.Key))) values.Enqueue(0);
        while (_labels.Count > Capacity) _labels.Dequeue();
        foreach (var values in _series.Values) while (values.Count > Capacity) values.Dequeue();
    }

    public string[] Labels => _labels.Select((l, i) => i % 5 == 0 ? l : "").ToArray();

    public IEnumerable<(string Server, double[] Sessions)> For(string backend) =>
        _series.Where(s => s.Key.StartsWith(backend + "/", StringComparison.Ordinal)).Select(s => (s.Key[(backend.Length + 1)..], s.Value.ToArray()));
}
