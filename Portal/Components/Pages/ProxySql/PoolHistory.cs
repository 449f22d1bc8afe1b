using HaPortal.Core.ProxySql;

namespace HaPortal.Components.Pages.ProxySql;

/// <summary>
/// The last <see cref="Capacity"/> samples of stats_mysql_connection_pool: queries per interval (the counter's
/// increase) and connections in use, per server row (hostgroup + host:port), for the live charts.
/// </summary>
public sealed class PoolHistory
{
    public const int Capacity = 30;
    private readonly Queue<string> _labels = new();
    private readonly Dictionary<string, Queue<double>> _queries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<double>> _used = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastQueries = new(StringComparer.Ordinal);

    public static string Key(ConnectionPoolStat p) => $"hg {p.Hostgroup} {p.Host}:{p.Port}";

    public void Add(DateTimeOffset at, IReadOnlyList<ConnectionPoolStat> pool)
    {
        _labels.Enqueue(at.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in pool)
        {
            var key = Key(p);
            seen.Add(key);
            // The first sample of a row has no previous counter: it shows 0, not the total since ProxySQL started.
            var delta = _lastQueries.TryGetValue(key, out var last) ? Math.Max(0, p.Queries - last) : 0;
            _lastQueries[key] = p.Queries;
            Append(_queries, key, delta);
            Append(_used, key, p.ConnUsed);
        }
        foreach (var key in _queries.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            Append(_queries, key, 0);
            Append(_used, key, 0);
        }
        while (_labels.Count > Capacity) _labels.Dequeue();
        foreach (var values in _queries.Values.Concat(_used.Values)) while (values.Count > Capacity) values.Dequeue();
    }

    private void Append(Dictionary<string, Queue<double>> series, string key, double value)
    {
        if (!series.TryGetValue(key, out var values))
            series[key] = values = new Queue<double>(Enumerable.Repeat(0.0, _labels.Count - 1));
        values.Enqueue(value);
    }

    public int Count => _labels.Count;

    public string[] Labels => _labels.Select((l, i) => i % 5 == 0 ? l : "").ToArray();

    public IEnumerable<(string Server, double[] Values)> Queries => _queries.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Value.ToArray()));

    public IEnumerable<(string Server, double[] Values)> ConnectionsUsed => _used.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Value.ToArray()));

    /// <summary>Queries per hostgroup over the whole window: the writer/reader split at a glance.</summary>
    public IReadOnlyDictionary<int, double> QueriesByHostgroup =>
        _queries.GroupBy(s => int.Parse(s.Key.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => g.Sum(s => s.Value.Sum()));
}
