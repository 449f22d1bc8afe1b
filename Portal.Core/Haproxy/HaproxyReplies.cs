using System.Globalization;

namespace HaPortal.Core.Haproxy;

/// <summary>Parsers for the runtime API's table replies (<c>show servers state</c>, <c>show stat</c>).</summary>
internal static class HaproxyReplies
{
    /// <summary>One row of <c>show servers state</c> (format version 1).</summary>
    internal sealed record StateRow(string Backend, string Server, string Address, int Port, int OpState, int AdminFlags,
        int UserWeight, int InitialWeight, long SecondsSinceChange, int CheckState);

    /// <summary>One row of <c>show stat</c>, by column name.</summary>
    internal sealed record StatRow(IReadOnlyDictionary<string, string> Fields)
    {
        public string this[string column] => Fields.TryGetValue(column, out var v) ? v : "";
        public int Int(string column) => int.TryParse(this[column], CultureInfo.InvariantCulture, out var n) ? n : 0;
        public long Long(string column) => long.TryParse(this[column], CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    public static IReadOnlyList<StateRow> ParseServersState(string reply, string command)
    {
        var lines = reply.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] != "1" || lines.Length < 2 || !lines[1].StartsWith('#'))
            throw new HaproxyCommandException(command, reply);
        var header = lines[1].TrimStart('#').Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int Col(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i
            : throw new HaproxyCommandException(command, $"reply has no column '{name}': {lines[1]}");
        int be = Col("be_name"), srv = Col("srv_name"), addr = Col("srv_addr"), op = Col("srv_op_state"),
            admin = Col("srv_admin_state"), uw = Col("srv_uweight"), iw = Col("srv_iweight"),
            since = Col("srv_time_since_last_change"), chk = Col("srv_check_state"), port = Col("srv_port");
        var rows = new List<StateRow>();
        foreach (var line in lines.Skip(2))
        {
            var f = line.Split(' ');
            if (f.Length < header.Length) continue;
            rows.Add(new(f[be], f[srv], f[addr], Int(f[port]), Int(f[op]), Int(f[admin]), Int(f[uw]), Int(f[iw]),
                long.Parse(f[since], CultureInfo.InvariantCulture), Int(f[chk])));
        }
        return rows;

        static int Int(string s) => int.TryParse(s, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    public static IReadOnlyList<StatRow> ParseStat(string reply, string command)
    {
        var lines = reply.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || !lines[0].StartsWith("# pxname,", StringComparison.Ordinal))
            throw new HaproxyCommandException(command, reply);
        var header = lines[0][2..].Split(',');
        return lines.Skip(1).Select(line =>
        {
            var f = line.Split(',');
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length && i < f.Length; i++)
                if (header[i].Length > 0) fields[header[i]] = f[i];
            return new StatRow(fields);
        }).ToList();
    }

    public static IReadOnlyList<HaproxyBackend> Merge(IReadOnlyList<StateRow> states, IReadOnlyList<StatRow> stats)
    {
        var statByServer = stats.Where(s => s["type"] == "2").ToDictionary(s => (s["pxname"], s["svname"]));
        var backends = new List<HaproxyBackend>();
        foreach (var be in stats.Where(s => s["type"] == "1"))
        {
            var name = be["pxname"];
            var servers = states.Where(s => s.Backend == name).Select(s =>
            {
                var stat = statByServer.GetValueOrDefault((name, s.Server)) ?? new StatRow(new Dictionary<string, string>());
                return new HaproxyServer(name, s.Server, s.Address, s.Port, (ServerOperationalState)s.OpState,
                    AdminOf(s.AdminFlags), s.AdminFlags, stat["status"], s.UserWeight, s.InitialWeight,
                    stat.Int("scur"), stat.Int("rate"), stat.Long("stot"), stat["check_status"].TrimStart('*'),
                    stat["check_desc"], (s.CheckState & 0x4) != 0, TimeSpan.FromSeconds(s.SecondsSinceChange));
            }).ToList();
            backends.Add(new(name, be["algo"], be["cookie"] is { Length: > 0 } c ? c : null, be["status"], be.Int("scur"), servers));
        }
        return backends;
    }

    /// <summary>Forced, inherited, config or resolution maintenance all mean "takes no traffic" to the operator.</summary>
    internal static ServerAdminState AdminOf(int flags) =>
        (flags & (0x01 | 0x02 | 0x04 | 0x20 | 0x40)) != 0 ? ServerAdminState.Maint
        : (flags & (0x08 | 0x10)) != 0 ? ServerAdminState.Drain
        : ServerAdminState.Ready;
}
