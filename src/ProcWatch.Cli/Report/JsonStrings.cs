using System.Buffers;
using System.Globalization;
using ProcWatch.Text;

namespace ProcWatch.Cli.Report;

/// <summary>
/// JSON string text in both directions, for the report. ProcWatch writes invalid UTF-8 from
/// the kernel as lone surrogates (<c>\udcXX</c>, see <see cref="ProcText"/>), which
/// System.Text.Json refuses to turn into strings, so unescaping is done here and keeps them.
/// Writing is "HTML-safe": the result may sit inside a &lt;script&gt; element.
/// </summary>
internal static class JsonStrings
{
    /// <summary>A JSON string's raw content (between the quotes) as .NET text, lone surrogates kept.</summary>
    public static string Unescape(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOf((byte)'\\') < 0)
            return ProcText.Decode(raw);
        char[] rented = ArrayPool<char>.Shared.Rent(raw.Length);
        try
        {
            int n = 0;
            while (!raw.IsEmpty)
            {
                int slash = raw.IndexOf((byte)'\\');
                ReadOnlySpan<byte> plain = slash < 0 ? raw : raw[..slash];
                if (!plain.IsEmpty)
                {
                    string text = ProcText.Decode(plain);
                    text.CopyTo(rented.AsSpan(n));
                    n += text.Length;
                }
                if (slash < 0)
                    break;
                raw = raw[(slash + 1)..];
                if (raw.IsEmpty)
                    break; // a dangling backslash: the reader rejects that before we get here
                char c = (char)raw[0];
                raw = raw[1..];
                switch (c)
                {
                    case 'n': rented[n++] = '\n'; break;
                    case 'r': rented[n++] = '\r'; break;
                    case 't': rented[n++] = '\t'; break;
                    case 'b': rented[n++] = '\b'; break;
                    case 'f': rented[n++] = '\f'; break;
                    case 'u' when raw.Length >= 4 && ushort.TryParse(raw[..4], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort code):
                        rented[n++] = (char)code;
                        raw = raw[4..];
                        break;
                    default: rented[n++] = c; break; // \" \\ \/
                }
            }
            return new string(rented, 0, n);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> as a quoted JSON string that is also safe inside an HTML
    /// &lt;script&gt; element: <c>&lt; &gt; &amp;</c>, U+2028/U+2029, control characters and
    /// lone surrogates are <c>\uXXXX</c> escapes; everything else is UTF-8. JSON.parse gives
    /// back exactly the same UTF-16 text, lone surrogates included.
    /// </summary>
    public static void WriteQuoted(IBufferWriter<byte> output, string value)
    {
        Span<byte> span = output.GetSpan(value.Length * 6 + 2);
        int n = 0;
        span[n++] = (byte)'"';
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c < 0x80)
            {
                if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != 0x7f)
                {
                    span[n++] = (byte)c;
                    continue;
                }
                if (c is '"' or '\\')
                {
                    span[n++] = (byte)'\\';
                    span[n++] = (byte)c;
                    continue;
                }
                n += UnicodeEscape(span[n..], c);
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                n += new System.Text.Rune(c, value[++i]).EncodeToUtf8(span[n..]);
                continue;
            }
            if (char.IsSurrogate(c) || c is '\u2028' or '\u2029')
            {
                n += UnicodeEscape(span[n..], c);
                continue;
            }
            n += new System.Text.Rune(c).EncodeToUtf8(span[n..]);
        }
        span[n++] = (byte)'"';
        output.Advance(n);
    }

    private static int UnicodeEscape(Span<byte> span, char c)
    {
        const string hex = "0123456789abcdef";
        span[0] = (byte)'\\';
        span[1] = (byte)'u';
        span[2] = (byte)hex[(c >> 12) & 0xf];
        span[3] = (byte)hex[(c >> 8) & 0xf];
        span[4] = (byte)hex[(c >> 4) & 0xf];
        span[5] = (byte)hex[c & 0xf];
        return 6;
    }
}
