using System.Buffers;
using System.Text;

namespace ProcWatch.Text;

/// <summary>
/// Makes attacker-controlled text (argv, comm, paths) safe to print on a terminal: no byte
/// that a terminal interprets (C0/C1 controls, ESC, DEL) and no bidirectional override ever
/// passes through raw, and nothing that shows as nothing: zero-width characters, invisible
/// format characters and line/paragraph separators, with which <c>cu\u{200b}rl</c> would read
/// "curl". Escapes are visible and unambiguous: \n, \t, \e, \xNN for control and invalid
/// bytes, \u{NNNN} (\u{NNNNN} beyond the BMP) for C1 controls, bidi controls and invisible
/// characters; a backslash is doubled.
/// </summary>
internal static class TerminalText
{
    public static void Append(IBufferWriter<byte> output, string text)
    {
        Span<byte> span = output.GetSpan(text.Length * 8 + 1);
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c >= 0x20 && c < 0x7f)
            {
                if (c == '\\') span[n++] = (byte)'\\';
                span[n++] = (byte)c;
                continue;
            }
            if (c < 0x20 || c == 0x7f)
            {
                n += EscapeControl(span[n..], c);
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var rune = new Rune(c, text[++i]);
                n += IsInvisibleAstral(rune.Value) ? UnicodeEscape(span[n..], rune.Value) : rune.EncodeToUtf8(span[n..]);
                continue;
            }
            if (ProcText.IsEscapedByte(c))
            {
                n += Hex(span[n..], (byte)(c - ProcText.EscapeBase));
                continue;
            }
            if (char.IsSurrogate(c) || (c >= 0x80 && c <= 0x9f) || IsBidiControl(c) || IsInvisible(c))
            {
                n += UnicodeEscape(span[n..], c);
                continue;
            }
            n += new Rune(c).EncodeToUtf8(span[n..]);
        }
        output.Advance(n);
    }

    /// <summary>The escaped form as a string (tests and non-hot paths).</summary>
    public static string Escape(string text)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Append(buffer, text);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // Bidi embeddings/overrides/isolates can reorder what a reader sees ("Trojan Source").
    private static bool IsBidiControl(char c) =>
        c is '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069') or '\u061c';

    // Characters a terminal shows as nothing (or as a line break), so text reads other than it
    // is: soft hyphen, Mongolian vowel separator, zero-width space/non-joiner/joiner, line and
    // paragraph separators, word joiner and the invisible operators, the deprecated format
    // controls U+206A..U+206F, the BOM / zero-width no-break space, interlinear annotation.
    private static bool IsInvisible(char c) =>
        c is '\u00ad' or '\u180e' or (>= '\u200b' and <= '\u200d') or '\u2028' or '\u2029'
            or (>= '\u2060' and <= '\u2065') or (>= '\u206a' and <= '\u206f') or '\ufeff' or (>= '\ufff9' and <= '\ufffb');

    // Tag characters (U+E0000..U+E007F) spell hidden ASCII after a visible character.
    private static bool IsInvisibleAstral(int value) => value is >= 0xe0000 and <= 0xe007f;

    private static int EscapeControl(Span<byte> span, char c)
    {
        span[0] = (byte)'\\';
        switch (c)
        {
            case '\n': span[1] = (byte)'n'; return 2;
            case '\t': span[1] = (byte)'t'; return 2;
            case '\r': span[1] = (byte)'r'; return 2;
            case '\x1b': span[1] = (byte)'e'; return 2;
            default: return Hex(span, (byte)c);
        }
    }

    private static int Hex(Span<byte> span, byte b)
    {
        const string hex = "0123456789abcdef";
        span[0] = (byte)'\\';
        span[1] = (byte)'x';
        span[2] = (byte)hex[b >> 4];
        span[3] = (byte)hex[b & 0xf];
        return 4;
    }

    /// <summary>\u{NNNN} (4 hex digits; 5 or 6 beyond the BMP).</summary>
    private static int UnicodeEscape(Span<byte> span, int value)
    {
        const string hex = "0123456789abcdef";
        "\\u{"u8.CopyTo(span);
        int digits = value > 0xfffff ? 6 : value > 0xffff ? 5 : 4;
        for (int d = 0; d < digits; d++)
            span[3 + d] = (byte)hex[(value >> (4 * (digits - 1 - d))) & 0xf];
        span[3 + digits] = (byte)'}';
        return 4 + digits;
    }
}
