using System.Collections.Immutable;
using System.Globalization;

namespace HaPortal.Core.Replication;

/// <summary>One MariaDB GTID: replication domain, originating server, sequence number.</summary>
public readonly record struct Gtid(uint Domain, uint Server, ulong Seq)
{
    public override string ToString() => $"{Domain}-{Server}-{Seq}";

    public static bool TryParse(string text, out Gtid gtid)
    {
        gtid = default;
        var parts = text.Trim().Split('-');
        if (parts.Length != 3) return false;
        if (!uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var d)
            || !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            || !ulong.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var q)) return false;
        gtid = new(d, s, q);
        return true;
    }
}

/// <summary>
/// A MariaDB GTID list as the server prints it (<c>gtid_current_pos</c>, <c>gtid_binlog_pos</c>: one entry per domain;
/// <c>gtid_binlog_state</c>: one entry per domain and server). With gtid_strict_mode, sequence numbers only grow within
/// a domain, so "has applied up to" is a per-domain comparison of sequence numbers.
/// </summary>
public sealed record GtidList(ImmutableArray<Gtid> Entries)
{
    public static readonly GtidList Empty = new([]);

    public static GtidList Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Empty;
        var entries = ImmutableArray.CreateBuilder<Gtid>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Gtid.TryParse(part, out var g))
                throw new FormatException($"'{part}' in '{text}' is not a MariaDB GTID (domain-server-sequence).");
            entries.Add(g);
        }
        return new(entries.ToImmutable());
    }

    public bool IsEmpty => Entries.IsEmpty;

    public IEnumerable<uint> Domains => Entries.Select(e => e.Domain).Distinct().Order();

    /// <summary>The highest sequence number seen in <paramref name="domain"/>, 0 when none.</summary>
    public ulong SeqIn(uint domain) => Entries.Where(e => e.Domain == domain).Select(e => e.Seq).DefaultIfEmpty(0UL).Max();

    /// <summary>True when in every domain this list is at least as far as <paramref name="other"/>.</summary>
    public bool Includes(GtidList other) => other.Domains.All(d => SeqIn(d) >= other.SeqIn(d));

    /// <summary>Sum over domains of how far this list is behind <paramref name="other"/>, in transactions.</summary>
    public ulong TransactionsBehind(GtidList other) =>
        other.Domains.Aggregate(0UL, (sum, d) => sum + (other.SeqIn(d) > SeqIn(d) ? other.SeqIn(d) - SeqIn(d) : 0UL));

    /// <summary>
    /// Compares positions: 1 when this one is ahead of <paramref name="other"/> (includes it and is not equal), -1 when
    /// behind, 0 when equal, null when each is ahead in some domain (incomparable: they diverged).
    /// </summary>
    public int? CompareProgress(GtidList other)
    {
        var mine = Includes(other);
        var theirs = other.Includes(this);
        return (mine, theirs) switch { (true, true) => 0, (true, false) => 1, (false, true) => -1, _ => null };
    }

    /// <summary>
    /// Errant transactions: the entries of this binlog state (one per domain and server) that <paramref name="reference"/>
    /// does not contain. A reference contains a GTID when it has an entry for the same domain and server with an equal
    /// or higher sequence number; transactions of one server in one domain are binlogged in order, so that entry covers
    /// all earlier ones.
    /// </summary>
    public IReadOnlyList<Gtid> NotIn(GtidList reference) =>
        Entries.Where(e => !reference.Entries.Any(r => r.Domain == e.Domain && r.Server == e.Server && r.Seq >= e.Seq)).ToList();

    /// <summary>Union keeping the highest sequence per domain and server (a merged binlog state).</summary>
    public GtidList Union(GtidList other) =>
        new(Entries.Concat(other.Entries).GroupBy(e => (e.Domain, e.Server))
            .Select(g => g.MaxBy(e => e.Seq)).OrderBy(e => e.Domain).ThenBy(e => e.Server).ToImmutableArray());

    public override string ToString() => string.Join(",", Entries);

    public bool Equals(GtidList? other) => other is not null && Entries.SequenceEqual(other.Entries);
    public override int GetHashCode() => Entries.Length;
}
