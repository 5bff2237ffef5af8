using System.Text;

namespace ProcWatch.Cli.Manual;

/// <summary>Text into roff (man(7)) safely: backslashes, dashes, and lines that would start a request.</summary>
internal static class Roff
{
    /// <summary>Running text: <c>\</c> → <c>\e</c>, <c>-</c> → <c>\-</c> (a real minus, so options can be searched and copied).</summary>
    public static string Text(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            switch (c)
            {
                case '\\': sb.Append("\\e"); break;
                case '-': sb.Append("\\-"); break;
                case '\n': sb.Append(' '); break;
                default: sb.Append(c); break;
            }
        }
        // A line starting with . or ' is a request to roff, not text.
        if (sb.Length > 0 && sb[0] is '.' or '\'')
            sb.Insert(0, "\\&");
        return sb.ToString();
    }

    /// <summary>Bold (<c>\fB…\fR</c>).</summary>
    public static string Bold(string text) => "\\fB" + Text(text) + "\\fR";

    /// <summary>Italic (<c>\fI…\fR</c>): values to be replaced.</summary>
    public static string Italic(string text) => "\\fI" + Text(text) + "\\fR";

    /// <summary>The .TH line; <paramref name="date"/> from SOURCE_DATE_EPOCH (the commit's date in packaging/build.sh), so a page rebuilds byte for byte.</summary>
    public static string Title(string name, int section, string manual)
    {
        string date = long.TryParse(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), out long epoch)
            ? DateTimeOffset.FromUnixTimeSeconds(epoch).UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)
            : "";
        return $".TH {name} {section} \"{date}\" \"procwatch {Text(BuildInfo.Version)}\" \"{manual}\"\n";
    }
}
