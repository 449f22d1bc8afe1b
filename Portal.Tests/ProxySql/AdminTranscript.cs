using System.Text.RegularExpressions;
using MySqlConnector;

namespace HaPortal.Tests.ProxySql;

/// <summary>
/// One statement of a captured mysql-client session against the real ProxySQL admin, with what it answered:
/// rows affected, a result table, or an error message.
/// </summary>
public sealed record TranscriptStep(string Statement, long? AffectedRows, string[]? Columns, List<string?[]>? Rows, string? Error);

public static partial class AdminTranscript
{
    private const string Rule = "--------------";

    /// <summary>Reads the steps of a transcript in shared/proxysql (the `mysql -v -v` blocks between dashed lines).</summary>
    public static IReadOnlyList<TranscriptStep> Parse(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var steps = new List<TranscriptStep>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] != Rule) continue;
            var close = Array.IndexOf(lines, Rule, i + 1);
            if (close < 0) break;
            var statement = string.Join("\n", lines[(i + 1)..close]).Trim();
            var error = i > 0 && ErrorLine().Match(lines[i - 1]) is { Success: true } e ? e.Groups["m"].Value : null;
            var j = close + 1;
            while (j < lines.Length && lines[j].Length == 0) j++;
            long? affected = null;
            string[]? columns = null;
            List<string?[]>? rows = null;
            if (error is null && j < lines.Length)
            {
                if (QueryOk().Match(lines[j]) is { Success: true } ok) affected = long.Parse(ok.Groups["n"].Value);
                else if (lines[j].StartsWith('+'))
                {
                    columns = Cells(lines[j + 1]).Select(c => c!).ToArray();
                    rows = [];
                    for (j += 3; j < lines.Length && lines[j].StartsWith('|'); j++) rows.Add(Cells(lines[j]));
                }
            }
            steps.Add(new TranscriptStep(statement, affected, columns, rows, error));
            i = close;
        }
        return steps;
    }

    /// <summary>Sends each step's statement and asserts the answer is the captured one (rows, rows affected or error message).</summary>
    public static async Task ReplayAsync(MySqlConnection connection, IEnumerable<TranscriptStep> steps, CancellationToken ct)
    {
        foreach (var step in steps)
        {
            await using var command = new MySqlCommand(step.Statement, connection);
            if (step.Error is not null)
            {
                var e = await Assert.ThrowsAsync<MySqlException>(() => command.ExecuteNonQueryAsync(ct));
                Assert.Equal(step.Error, e.Message);
                continue;
            }
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (step.Columns is not null)
            {
                Assert.Equal(step.Columns, Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
                var rows = new List<string?[]>();
                while (await reader.ReadAsync(ct))
                    rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).ToArray());
                Assert.Equal(step.Rows, rows);
            }
            else if (step.AffectedRows is { } affected)
            {
                while (await reader.ReadAsync(ct)) { }
                Assert.True(affected == reader.RecordsAffected, $"{step.Statement}: expected {affected} rows affected, got {reader.RecordsAffected}");
            }
        }
    }

    private static string?[] Cells(string line) =>
        line.Trim().Trim('|').Split('|').Select(c => c.Trim()).Select(c => c == "NULL" ? null : c).ToArray();

    [GeneratedRegex(@"^ERROR \d+ \(\w+\)( at line \d+)?: (?<m>.*)$")]
    private static partial Regex ErrorLine();

    [GeneratedRegex(@"^Query OK, (?<n>\d+) rows? affected")]
    private static partial Regex QueryOk();
}
