using System.Globalization;

namespace HaPortal.Core.Rendering;

/// <summary>Literals for statements sent to ProxySQL's admin interface (SQLite underneath).</summary>
public static class SqlText
{
    /// <summary>
    /// A single-quoted string literal, or NULL. Quotes are doubled; backslashes stay as they are, because the
    /// admin interface hands the text to SQLite, where a backslash is an ordinary character (a regex like
    /// <c>\d</c> must arrive unchanged).
    /// </summary>
    public static string Quote(string? value)
    {
        if (value is null) return "NULL";
        if (value.Contains('\0')) throw new ArgumentException("A SQL literal cannot contain a NUL character.", nameof(value));
        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    public static string Number(int? value) => value is { } n ? n.ToString(CultureInfo.InvariantCulture) : "NULL";

    public static string Bool(bool value) => value ? "1" : "0";
}

/// <summary>Strings in libconfig syntax (proxysql.cnf, keepalived does not use it).</summary>
public static class LibconfigText
{
    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
                    .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal)
                    .Replace("\t", "\\t", StringComparison.Ordinal) + "\"";
}
