using System.Text;
using System.Text.Json;
using ProcWatch.Text;

namespace ProcWatch.Cli.Fleet;

/// <summary>
/// Rows printed for a responder: a padded table whose every cell is escaped for the terminal
/// (stored strings are attacker-controlled), or one JSON object a line, every string escaped
/// (non-ASCII as \u, so no control byte of any kind reaches the terminal) and lossless.
/// </summary>
internal static class FleetTable
{
    public const int MaxCell = 120;

    public static void Write(TextWriter output, string[] headers, List<string[]> rows)
    {
        int[] widths = new int[headers.Length];
        for (int c = 0; c < headers.Length; c++) widths[c] = headers[c].Length;
        foreach (string[] row in rows)
            for (int c = 0; c < row.Length; c++) widths[c] = Math.Max(widths[c], row[c].Length);
        var sb = new StringBuilder();
        Line(sb, headers, widths);
        foreach (string[] row in rows) Line(sb, row, widths);
        output.Write(sb.ToString());
    }

    private static void Line(StringBuilder sb, string[] cells, int[] widths)
    {
        for (int c = 0; c < cells.Length; c++)
        {
            sb.Append(cells[c]);
            if (c < cells.Length - 1) sb.Append(' ', widths[c] - cells[c].Length + 2);
        }
        sb.Append('\n');
    }

    /// <summary>A stored string as a table cell: escaped, one line, bounded.</summary>
    public static string Cell(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "-";
        string escaped = TerminalText.Escape(text);
        return escaped.Length > MaxCell ? escaped[..(MaxCell - 1)] + "…" : escaped;
    }

    public static string Str(JsonElement row, string name) =>
        row.TryGetProperty(name, out JsonElement v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() ?? "",
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            _ => v.GetRawText(),
        } : "";

    public static long Long(JsonElement row, string name) =>
        row.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : 0;

    /// <summary>Each row as one JSON line (escaped as the class summary says).</summary>
    public static void WriteJson(TextWriter output, List<JsonElement> rows)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        foreach (JsonElement row in rows)
        {
            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer))
                row.WriteTo(w);
            output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
            output.Write('\n');
        }
    }
}
