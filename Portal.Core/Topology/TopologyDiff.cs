using YamlDotNet.RepresentationModel;

namespace HaPortal.Core.Topology;

/// <summary>One field that differs between two topologies; Before or After is null when the field was added or removed.</summary>
public sealed record FieldChange(string Path, string? Before, string? After)
{
    public string Kind => Before is null ? "added" : After is null ? "removed" : "changed";
}

/// <summary>
/// Field-level differences between two topologies, readable by a person: list items are keyed by their name
/// or id (<c>web.nodes[web2].weight</c>), so inserting a node does not show every later node as changed.
/// </summary>
public static class TopologyDiff
{
    public static IReadOnlyList<FieldChange> Compare(TopologySpec before, TopologySpec after)
    {
        var a = Flatten(before);
        var b = Flatten(after);
        var changes = new List<FieldChange>();
        foreach (var (path, value) in a)
        {
            if (!b.TryGetValue(path, out var other)) changes.Add(new(path, value, null));
            else if (other != value) changes.Add(new(path, value, other));
        }
        changes.AddRange(b.Where(kv => !a.ContainsKey(kv.Key)).Select(kv => new FieldChange(kv.Key, null, kv.Value)));
        return changes;
    }

    /// <summary>Every scalar field of the topology's file form, by path, in file order.</summary>
    public static IReadOnlyDictionary<string, string> Flatten(TopologySpec spec)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(TopologyYaml.Serialize(spec)));
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        Walk(stream.Documents[0].RootNode, "", result);
        return result;
    }

    private static void Walk(YamlNode node, string path, Dictionary<string, string> into)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                    Walk(value, path.Length == 0 ? ((YamlScalarNode)key).Value! : $"{path}.{((YamlScalarNode)key).Value}", into);
                break;
            case YamlSequenceNode seq:
                for (var i = 0; i < seq.Children.Count; i++)
                    Walk(seq.Children[i], $"{path}[{KeyOf(seq.Children[i]) ?? i.ToString()}]", into);
                break;
            case YamlScalarNode scalar:
                into[path] = scalar.Value ?? "";
                break;
        }
    }

    private static string? KeyOf(YamlNode item) =>
        item is YamlMappingNode m
            ? (m.Children.TryGetValue(new YamlScalarNode("name"), out var n) ? ((YamlScalarNode)n).Value
              : m.Children.TryGetValue(new YamlScalarNode("id"), out var id) ? "id " + ((YamlScalarNode)id).Value : null)
            : null;
}
