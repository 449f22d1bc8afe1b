using System.Text;

namespace HaPortal.Core.ProxySql;

/// <summary>
/// ProxySQL 2.x query digest text (what match_digest is matched against and what stats_mysql_query_digest shows):
/// comments stripped, string and number literals replaced by <c>?</c>, whitespace collapsed, and runs of values
/// longer than mysql-query_digests_grouping_limit (default 3) shortened to <c>?,?,?,...</c>, e.g.
/// <c>IN (1,2,3,4,5)</c> → <c>IN (?,?,?,...)</c>; more than mysql-query_digests_groups_grouping_limit (default 10)
/// value groups, e.g. <c>VALUES (1),(2),…</c>, likewise end in <c>,...</c>. NULL stays (query_digests_replace_null=false);
/// case is kept (query_digests_lowercase=false). The 64-bit digest hash is not reproduced.
/// </summary>
public static class QueryDigest
{
    public static string Of(string sql, int groupingLimit = 3, int groupsGroupingLimit = 10, int maxLength = 2048)
    {
        var tokens = Replace(sql);
        var text = Group(tokens, groupingLimit, groupsGroupingLimit);
        return text.Length > maxLength ? text[..maxLength] : text;
    }

    /// <summary>Literals → ?, comments → nothing, whitespace runs → one space.</summary>
    private static string Replace(string sql)
    {
        var b = new StringBuilder(sql.Length);
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            if (c == '/' && next == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + 2;
                Space(b);
            }
            else if ((c == '-' && next == '-' && (i + 2 >= sql.Length || char.IsWhiteSpace(sql[i + 2]))) || c == '#')
            {
                var end = sql.IndexOf('\n', i);
                i = end < 0 ? sql.Length : end + 1;
                Space(b);
            }
            else if (c is '\'' or '"')
            {
                i = SkipString(sql, i);
                b.Append('?');
            }
            else if (char.IsWhiteSpace(c))
            {
                Space(b);
                i++;
            }
            else if (IsNumberStart(sql, i, b))
            {
                // A sign right before a number is part of the literal when it follows an operator, '(' or ','.
                if (b.Length > 0 && b[^1] is '-' or '+' && IsOperandPosition(b, b.Length - 1)) b.Length--;
                i = SkipNumber(sql, i);
                b.Append('?');
            }
            else
            {
                b.Append(c);
                i++;
            }
        }
        return b.ToString().Trim();
    }

    private static void Space(StringBuilder b)
    {
        if (b.Length > 0 && b[^1] != ' ') b.Append(' ');
    }

    private static int SkipString(string sql, int i)
    {
        var quote = sql[i++];
        while (i < sql.Length)
        {
            if (sql[i] == '\\') i += 2;
            else if (sql[i] == quote && i + 1 < sql.Length && sql[i + 1] == quote) i += 2;
            else if (sql[i] == quote) return i + 1;
            else i++;
        }
        return i;
    }

    private static bool IsNumberStart(string sql, int i, StringBuilder b)
    {
        var c = sql[i];
        if (!char.IsAsciiDigit(c) && !(c == '.' && i + 1 < sql.Length && char.IsAsciiDigit(sql[i + 1]))) return false;
        // Part of an identifier (t1, posts_2024, @@server_id, `col1`) is not a number.
        var prev = b.Length > 0 ? b[^1] : ' ';
        return !(char.IsAsciiLetterOrDigit(prev) || prev is '_' or '$' or '@' or '`' or '.');
    }

    private static int SkipNumber(string sql, int i)
    {
        if (sql[i] == '0' && i + 1 < sql.Length && sql[i + 1] is 'x' or 'X')
        {
            i += 2;
            while (i < sql.Length && char.IsAsciiHexDigit(sql[i])) i++;
            return i;
        }
        while (i < sql.Length && (char.IsAsciiDigit(sql[i]) || sql[i] == '.')) i++;
        if (i < sql.Length && sql[i] is 'e' or 'E' && i + 1 < sql.Length && (char.IsAsciiDigit(sql[i + 1]) || sql[i + 1] is '-' or '+'))
        {
            i += 2;
            while (i < sql.Length && char.IsAsciiDigit(sql[i])) i++;
        }
        return i;
    }

    private static bool IsOperandPosition(StringBuilder b, int signAt)
    {
        var j = signAt - 1;
        while (j >= 0 && b[j] == ' ') j--;
        return j < 0 || b[j] is '=' or '<' or '>' or '(' or ',' or '+' or '-' or '*' or '/' or '%'
            || EndsWithWord(b, j, "IN") || EndsWithWord(b, j, "VALUES") || EndsWithWord(b, j, "AND") || EndsWithWord(b, j, "OR")
            || EndsWithWord(b, j, "BETWEEN") || EndsWithWord(b, j, "LIMIT") || EndsWithWord(b, j, "SELECT");
    }

    private static bool EndsWithWord(StringBuilder b, int end, string word)
    {
        var start = end - word.Length + 1;
        if (start < 0) return false;
        for (var k = 0; k < word.Length; k++)
            if (char.ToUpperInvariant(b[start + k]) != word[k]) return false;
        return start == 0 || !char.IsAsciiLetterOrDigit(b[start - 1]);
    }

    /// <summary>Shortens "?,?,?,?" runs and "(?),(?),…" group runs the way the grouping limits do.</summary>
    private static string Group(string text, int limit, int groupsLimit)
    {
        var compact = System.Text.RegularExpressions.Regex.Replace(text, @"\?(\s*,\s*\?)+", m =>
        {
            var count = m.Value.Count(ch => ch == '?');
            return count > limit && limit > 0 ? string.Join(",", Enumerable.Repeat("?", limit)) + ",..." : string.Join(",", Enumerable.Repeat("?", count));
        });
        return System.Text.RegularExpressions.Regex.Replace(compact, @"(\([?,.]+\))(\s*,\s*\([?,.]+\))+", m =>
        {
            var groups = System.Text.RegularExpressions.Regex.Matches(m.Value, @"\([?,.]+\)").Select(g => g.Value).ToList();
            return groups.Count > groupsLimit && groupsLimit > 0 ? string.Join(",", groups.Take(groupsLimit)) + ",..." : string.Join(",", groups);
        });
    }
}
