using System.Globalization;
using System.Text;
using ProcWatch.Daemon.Outputs.ClickHouse;

namespace ProcWatch.Cli.Fleet;

/// <summary>
/// How attacker-controlled text (a pattern, a host or user name, an entity id: all of them
/// may come from what some process put in its argv) enters a query. ClickHouse 18.16 has
/// no query parameters, so every such value is sent as <c>unhex('…')</c>: its UTF-8 bytes in
/// hexadecimal, which no quote, backslash, NUL or invalid UTF-8 can break out of, on every
/// version. Identifiers come from the configuration and are backquoted.
/// </summary>
internal static class FleetSql
{
    public static string Text(string value)
    {
        byte[] bytes = ProcWatch.Text.ProcText.Encode(value);
        return bytes.Length == 0 ? "''" : "unhex('" + Convert.ToHexString(bytes) + "')";
    }

    /// <summary>A list for IN (...).</summary>
    public static string TextList(IEnumerable<string> values)
    {
        var sb = new StringBuilder();
        foreach (string v in values)
        {
            if (sb.Length > 0) sb.Append(", ");
            sb.Append(Text(v));
        }
        return sb.ToString();
    }

    public static string Column(string name) => ClickHouseSchema.Quote(name);

    public static string Table(string database, string table) => ClickHouseSchema.Quote(database) + "." + ClickHouseSchema.Quote(table);

    /// <summary><c>`@timestamp` &gt;= now() - N</c> (whole seconds).</summary>
    public static string Since(TimeSpan since) =>
        "`@timestamp` >= now() - " + ((long)Math.Ceiling(since.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>"90s", "15m", "1h", "7d" (a bare number is seconds).</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        int end = 0;
        while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
        if (end == 0 || !long.TryParse(text.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n > 100L * 365 * 86400)
            return false;
        long scale = text[end..] switch { "" or "s" => 1, "m" or "min" => 60, "h" => 3600, "d" => 86400, "w" => 7 * 86400, _ => -1 };
        if (scale < 0 || n * scale > 100L * 365 * 86400 || n == 0)
            return false;
        duration = TimeSpan.FromSeconds(n * scale);
        return true;
    }
}
