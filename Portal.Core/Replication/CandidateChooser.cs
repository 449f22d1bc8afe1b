using System.Collections.Immutable;

namespace HaPortal.Core.Replication;

/// <summary>One replica judged as a candidate for promotion.</summary>
public sealed record CandidateAssessment(string Name, int Priority, bool Eligible, GtidList Position, ulong TransactionsBehindBest, IReadOnlyList<string> Reasons)
{
    public override string ToString() => Eligible ? $"{Name}: eligible at {Position}" : $"{Name}: refused ({string.Join("; ", Reasons)})";
}

/// <summary>The result of choosing a new primary: the winner (if any) and every candidate's assessment with reasons.</summary>
public sealed record CandidateChoice(string? Chosen, ImmutableArray<CandidateAssessment> Candidates)
{
    public IEnumerable<string> WhyNot => Candidates.Where(c => c.Name != Chosen).SelectMany(c => c.Reasons.Select(r => $"{c.Name}: {r}"));
}

/// <summary>
/// Picks the replica to promote when the primary is gone. Pure: the caller has read the replicas. A candidate must be
/// reachable, configured as a replica, its SQL thread free of errors, and without errant transactions: GTIDs written on
/// the replica itself (its own server id, not the primary's <c>primaryServerId</c>) that no other node (nor the
/// primary's last known binlog state) has. Among eligible ones the most advanced by GTID wins; ties go to the higher priority, then the name.
/// </summary>
public static class CandidateChooser
{
    public static CandidateChoice Choose(IReadOnlyList<NodeStatus> replicas, IReadOnlyDictionary<string, int> priorities,
        long primaryServerId, GtidList lastKnownPrimaryState)
    {
        var assessed = new List<CandidateAssessment>();
        foreach (var r in replicas)
        {
            var reasons = new List<string>();
            var priority = priorities.GetValueOrDefault(r.Name);
            if (!r.Reachable)
            {
                assessed.Add(new(r.Name, priority, false, GtidList.Empty, 0, [$"unreachable: {r.Error}"]));
                continue;
            }
            if (r.Replica is null) reasons.Add("not configured as a replica");
            else if (r.Replica.LastSqlError.Length > 0) reasons.Add($"SQL thread stopped with an error: {r.Replica.LastSqlError}");
            var reference = replicas.Where(o => o.Name != r.Name && o.Reachable)
                .Aggregate(lastKnownPrimaryState, (acc, o) => acc.Union(GtidList.Parse(o.BinlogState)));
            // Writes made on the replica itself carry its own server id. Its other GTIDs came to it through replication
            // (from this primary or from a former one), even when no surviving node holds them any more.
            var errant = GtidList.Parse(r.BinlogState).NotIn(reference).Where(g => g.Server == r.ServerId && g.Server != primaryServerId).ToList();
            if (errant.Count > 0)
                reasons.Add($"errant transactions: {string.Join(",", errant)} exist only on {r.Name} (not from the primary, unknown to the other nodes)");
            assessed.Add(new(r.Name, priority, reasons.Count == 0, GtidList.Parse(r.CurrentPos), 0, reasons));
        }

        var eligible = assessed.Where(a => a.Eligible).ToList();
        var best = eligible.Aggregate(GtidList.Empty, (acc, a) => acc.Union(a.Position));
        assessed = assessed.Select(a => a.Eligible ? a with { TransactionsBehindBest = a.Position.TransactionsBehind(best) } : a).ToList();
        var winner = assessed.Where(a => a.Eligible)
            .OrderBy(a => a.TransactionsBehindBest).ThenByDescending(a => a.Priority).ThenBy(a => a.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        if (winner is not null)
        {
            assessed = assessed.Select(a => a.Eligible && a.Name != winner.Name
                ? a with { Reasons = [a.TransactionsBehindBest > winner.TransactionsBehindBest
                    ? $"less advanced: {a.TransactionsBehindBest - winner.TransactionsBehindBest} transactions behind {winner.Name}"
                    : $"as advanced as {winner.Name}, which wins on {(a.Priority != winner.Priority ? "priority" : "name")}"] }
                : a).ToList();
        }
        return new(winner?.Name, [.. assessed]);
    }
}
