using System.Globalization;

namespace HaPortal.Core.Replication;

/// <summary>Parses node endpoints written as <c>NAME=HOST:PORT</c> (command line, settings) until the deploy provides them.</summary>
public static class EndpointSpec
{
    /// <summary>Every endpoint, or every problem (naming the offending text) when any is malformed or repeated.</summary>
    public static (IReadOnlyDictionary<string, DbEndpoint> Endpoints, IReadOnlyList<string> Problems) Parse(IEnumerable<string> specs)
    {
        var endpoints = new Dictionary<string, DbEndpoint>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var spec in specs)
        {
            var eq = spec.IndexOf('=');
            var colon = spec.LastIndexOf(':');
            if (eq <= 0 || colon < eq + 2 || !int.TryParse(spec[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                problems.Add($"--node '{spec}': write NAME=HOST:PORT, for example db1=127.0.0.1:3306.");
                continue;
            }
            var name = spec[..eq];
            if (!endpoints.TryAdd(name, new DbEndpoint(name, spec[(eq + 1)..colon], port)))
                problems.Add($"--node '{spec}': {name} is given twice.");
        }
        return (endpoints, problems);
    }

    /// <summary>Credentials from environment variables (never from arguments, which other users of the machine can read).</summary>
    public static (ReplicationCredentials? Credentials, IReadOnlyList<string> Problems) FromEnvironment(
        string adminUserVar, string adminPasswordVar, string replUserVar, string replPasswordVar, Func<string, string?>? read = null)
    {
        read ??= Environment.GetEnvironmentVariable;
        var problems = new List<string>();
        string Get(string v)
        {
            var value = read(v);
            if (string.IsNullOrEmpty(value)) problems.Add($"environment variable {v} is not set.");
            return value ?? "";
        }
        var c = new ReplicationCredentials(Get(adminUserVar), Get(adminPasswordVar), Get(replUserVar), Get(replPasswordVar));
        return (problems.Count == 0 ? c : null, problems);
    }
}
