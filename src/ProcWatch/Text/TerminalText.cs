using System.Buffers;
using System.Text;

namespace ProcWatch.Text;

/// <summary>
/// Makes attacker-controlled text (argv, comm, paths) safe to print on a terminal: no byte
/// that a terminal interprets (C0/C1 controls, ESC, DEL) and no bidirectional override ever
/// passes through raw. Escapes are visible and unambiguous: \n, \t, \e, \xNN for control and
/// invalid bytes, \u{NNNN} for C1 controls and bidi controls; a backslash is doubled.
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
                n += new Rune(c, text[++i]).EncodeToUtf8(span[n..]);
                continue;
            }
            if (ProcText.IsEscapedByte(c))
            {
                n += Hex(span[n..], (byte)(c - ProcText.EscapeBase));
                continue;
            }
            if (char.IsSurrogate(c) || (c >= 0x80 && c <= 0x9f) || IsBidiControl(c))
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

    private static int UnicodeEscape(Span<byte> span, char c)
    {
        const string hex = "0123456789abcdef";
        "\\u{"u8.CopyTo(span);
        span[3] = (byte)hex[(c >> 12) & 0xf];
        span[4] = (byte)hex[(c >> 8) & 0xf];
        span[5] = (byte)hex[(c >> 4) & 0xf];
        span[6] = (byte)hex[c & 0xf];
        span[7] = (byte)'}';
        return 8;
    }
}
