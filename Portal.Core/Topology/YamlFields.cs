using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace HaPortal.Core.Topology;

/// <summary>
/// Reads typed fields out of one YAML mapping, recording a problem (with its path) for every wrong type,
/// bad enum value or unknown key instead of throwing, so an import reports everything at once.
/// </summary>
internal sealed class YamlFields
{
    private readonly YamlMappingNode? _map;
    private readonly string _path;
    private readonly List<ValidationProblem> _problems;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public YamlFields(YamlNode? node, string path, List<ValidationProblem> problems)
    {
        _path = path;
        _problems = problems;
        if (node is YamlMappingNode map) _map = map;
        else if (node is not null && !IsNull(node))
            problems.Add(new(path, "Expected a mapping of fields here."));
    }

    public bool Present => _map is not null;

    public string At(string key) => _path.Length == 0 ? key : $"{_path}.{key}";

    public YamlNode? Node(string key)
    {
        _read.Add(key);
        if (_map is null) return null;
        return _map.Children.TryGetValue(new YamlScalarNode(key), out var v) && !IsNull(v) ? v : null;
    }

    public string? String(string key)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is YamlScalarNode s) return s.Value;
        _problems.Add(new(At(key), "Expected a single value (text), not a list or mapping."));
        return null;
    }

    public string StringOr(string key, string fallback) => String(key) ?? fallback;

    public int Int(string key, int fallback) => IntOrNull(key) ?? fallback;

    public int? IntOrNull(string key)
    {
        var text = String(key);
        if (text is null) return null;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) return n;
        _problems.Add(new(At(key), $"'{text}' is not a whole number."));
        return null;
    }

    public bool Bool(string key, bool fallback)
    {
        var text = String(key);
        if (text is null) return fallback;
        switch (text.ToLowerInvariant())
        {
            case "true" or "yes" or "on": return true;
            case "false" or "no" or "off": return false;
            default:
                _problems.Add(new(At(key), $"'{text}' is not true or false."));
                return fallback;
        }
    }

    public T Enum<T>(string key, T fallback) where T : struct, Enum
    {
        var text = String(key);
        if (text is null) return fallback;
        if (System.Enum.TryParse<T>(text, ignoreCase: true, out var v) && System.Enum.IsDefined(v) && !char.IsDigit(text[0]))
            return v;
        var allowed = string.Join(" | ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));
        _problems.Add(new(At(key), $"'{text}' is not allowed here; use one of {allowed}."));
        return fallback;
    }

    public IReadOnlyList<YamlFields> List(string key)
    {
        var node = Node(key);
        if (node is null) return [];
        if (node is YamlSequenceNode seq)
            return seq.Children.Select((item, i) => new YamlFields(item, $"{At(key)}[{i}]", _problems)).ToList();
        _problems.Add(new(At(key), "Expected a list here."));
        return [];
    }

    public YamlFields Child(string key) => new(Node(key), At(key), _problems);

    /// <summary>Reports keys that were never read: almost always a typo of a real field name.</summary>
    public void RejectUnknown()
    {
        if (_map is null) return;
        foreach (var key in _map.Children.Keys.OfType<YamlScalarNode>())
            if (key.Value is { } k && !_read.Contains(k))
                _problems.Add(new(At(k), $"Unknown field '{k}'. Check its spelling against the topology file format."));
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: not YamlDotNet.Core.ScalarStyle.SingleQuoted and not YamlDotNet.Core.ScalarStyle.DoubleQuoted } s
        && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");
}
