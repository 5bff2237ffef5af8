using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using ProcWatch.Text;

namespace ProcWatch.Output;

/// <summary>
/// A minimal JSON writer for one-object-per-line output. Hand-rolled because strings from
/// the kernel may hold invalid UTF-8, which ProcWatch carries as lone surrogates
/// (<see cref="ProcText"/>): System.Text.Json refuses those, this writer emits them as
/// <c>\udcXX</c> escapes so the original bytes survive. Writes straight into the buffer:
/// it holds one span of the output at a time and commits it (<see cref="IBufferWriter{T}.Advance"/>)
/// when it needs a bigger one and when the top-level object or line ends, so a field costs a
/// few byte stores instead of an interface call per token (bench/README.md: ECS writer).
/// </summary>
internal ref partial struct JsonLineWriter
{
    /// <summary>What is asked of the output at a time: an ECS exec event is ~1.5 KB.</summary>
    private const int ChunkBytes = 4096;

    private readonly IBufferWriter<byte> _out;
    private Span<byte> _span; // uncommitted output; _span[.._pos] is written
    private int _pos;
    private int _grows; // spans taken: a value copied out of _span must not straddle two
    private ulong _hasItems; // bit per nesting depth: something was written at this depth
    private int _depth;

    public JsonLineWriter(IBufferWriter<byte> output)
    {
        _out = output;
        _span = default;
        _pos = 0;
        _grows = 0;
        _hasItems = 0;
        _depth = 0;
    }

    /// <summary>Hands what is written to the output (done by <see cref="EndLine"/> and by the end of the top-level object).</summary>
    public void Commit()
    {
        if (_pos == 0) return;
        _out.Advance(_pos);
        _span = default;
        _pos = 0;
    }

    /// <summary>Room for <paramref name="bytes"/> more at <c>_span[_pos..]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int bytes)
    {
        if (_span.Length - _pos < bytes)
            Grow(bytes);
        return _span[_pos..];
    }

    private void Grow(int bytes)
    {
        _grows++;
        Commit();
        _span = _out.GetSpan(Math.Max(bytes, ChunkBytes));
    }

    public void StartObject() => Open((byte)'{');

    /// <summary>An object as an array element (after a comma when it is not the first).</summary>
    public void StartObjectItem()
    {
        Separator();
        Open((byte)'{');
    }

    public void EndObject() => Close((byte)'}');

    /// <summary>The comma before an array element that is not the first (for an element written by <see cref="TryRepeat"/> or <see cref="StartObject()"/>).</summary>
    public void NextItem() => Separator();

    /// <summary>An array element that needs no escaping (the caller guarantees it).</summary>
    public void AsciiItem(ReadOnlySpan<byte> value)
    {
        Separator();
        Raw("\""u8);
        Raw(value);
        Raw("\""u8);
    }

    public void StartObject(ReadOnlySpan<byte> name)
    {
        Name(name);
        Open((byte)'{');
    }

    public void StartArray(ReadOnlySpan<byte> name)
    {
        Name(name);
        Open((byte)'[');
    }

    public void EndArray() => Close((byte)']');

    /// <summary>Ends the top-level object's line.</summary>
    public void EndLine()
    {
        Raw("\n"u8);
        Commit();
    }

    public void String(ReadOnlySpan<byte> name, string? value)
    {
        Name(name);
        if (value is null) Raw("null"u8);
        else WriteEscaped(value);
    }

    /// <summary>A string value written verbatim (the caller guarantees it needs no escaping).</summary>
    public void Ascii(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value)
    {
        Name(name);
        Raw("\""u8);
        Raw(value);
        Raw("\""u8);
    }

    public void Number(ReadOnlySpan<byte> name, long value)
    {
        Name(name);
        Utf8Formatter.TryFormat(value, Reserve(20), out int n);
        _pos += n;
    }

    public void Boolean(ReadOnlySpan<byte> name, bool value)
    {
        Name(name);
        Raw(value ? "true"u8 : "false"u8);
    }

    public void Null(ReadOnlySpan<byte> name)
    {
        Name(name);
        Raw("null"u8);
    }

    /// <summary>An array of strings (argv, environment): each lossless, as <see cref="StringItem"/> writes it.</summary>
    public void StringArray(ReadOnlySpan<byte> name, IReadOnlyList<string> items)
    {
        StartArray(name);
        for (int i = 0; i < items.Count; i++) StringItem(items[i]);
        EndArray();
    }

    /// <summary>An ISO 8601 UTC timestamp with microseconds, e.g. 2026-11-22T21:58:59.123456Z.</summary>
    public void Timestamp(ReadOnlySpan<byte> name, DateTimeOffset value)
    {
        Name(name);
        // Formatted by hand: DateTime's custom-format path costs more than the rest of an event.
        DateTime t = value.UtcDateTime;
        Span<byte> s = Reserve(29);
        s[0] = (byte)'"';
        WriteDateTime(t, (byte)'T', s[1..]);
        s[20] = (byte)'.';
        Digits(s.Slice(21, 6), (int)(t.Ticks % TimeSpan.TicksPerSecond / 10));
        s[27] = (byte)'Z';
        s[28] = (byte)'"';
        _pos += 29;
    }

    /// <summary>yyyy-MM-dd?HH:mm:ss (19 bytes) with <paramref name="separator"/> between date and time, formatted by hand (see <see cref="Timestamp"/>).</summary>
    internal static void WriteDateTime(DateTime t, byte separator, Span<byte> s)
    {
        Digits(s[..4], t.Year);
        s[4] = (byte)'-';
        Digits(s.Slice(5, 2), t.Month);
        s[7] = (byte)'-';
        Digits(s.Slice(8, 2), t.Day);
        s[10] = separator;
        Digits(s.Slice(11, 2), t.Hour);
        s[13] = (byte)':';
        Digits(s.Slice(14, 2), t.Minute);
        s[16] = (byte)':';
        Digits(s.Slice(17, 2), t.Second);
    }

    internal static void Digits(Span<byte> dest, int value)
    {
        for (int i = dest.Length - 1; i >= 0; i--)
        {
            dest[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    /// <summary>The arguments as one shell-quoted string (ECS process.command_line), without building it first.</summary>
    public void CommandLine(ReadOnlySpan<byte> name, IReadOnlyList<string> args)
    {
        Name(name);
        WriteCommandLineValue(args);
    }

    private void WriteCommandLineValue(IReadOnlyList<string> args)
    {
        Raw("\""u8);
        for (int i = 0; i < args.Count; i++)
        {
            if (i > 0) Raw(" "u8);
            string arg = args[i];
            if (!Text.CommandLine.NeedsQuoting(arg))
            {
                WriteEscapedContent(arg);
                continue;
            }
            Raw("'"u8);
            int start = 0;
            for (int j = arg.IndexOf('\'', StringComparison.Ordinal); j >= 0; j = arg.IndexOf('\'', start))
            {
                WriteEscapedContent(arg.AsSpan(start, j - start));
                Raw("'\\\\''"u8); // the shell's '\'' (close, escaped quote, reopen), JSON-escaped
                start = j + 1;
            }
            WriteEscapedContent(arg.AsSpan(start));
            Raw("'"u8);
        }
        Raw("\""u8);
    }

    /// <summary>A number as an array element.</summary>
    public void NumberItem(long value)
    {
        Separator();
        Utf8Formatter.TryFormat(value, Reserve(20), out int n);
        _pos += n;
    }

    /// <summary>A property whose name is data (a container label): the name escaped like a value.</summary>
    public void StringProperty(string name, string value)
    {
        Separator();
        WriteEscaped(name);
        Raw(":"u8);
        WriteEscaped(value);
    }

    /// <summary>An array element.</summary>
    public void StringItem(string value)
    {
        Separator();
        WriteEscaped(value);
    }

    /// <summary><c>,"name":</c> (the comma when something came before at this depth), in one reserve.</summary>
    private void Name(scoped ReadOnlySpan<byte> name)
    {
        Span<byte> s = Reserve(name.Length + 4);
        int n = 0;
        ulong bit = 1UL << _depth;
        if ((_hasItems & bit) != 0) s[n++] = (byte)',';
        _hasItems |= bit;
        s[n++] = (byte)'"';
        name.CopyTo(s[n..]);
        n += name.Length;
        s[n++] = (byte)'"';
        s[n++] = (byte)':';
        _pos += n;
    }

    private void Separator()
    {
        ulong bit = 1UL << _depth;
        if ((_hasItems & bit) != 0) Raw(","u8);
        _hasItems |= bit;
    }

    private void Open(byte bracket)
    {
        Reserve(1)[0] = bracket;
        _pos++;
        _depth++;
        _hasItems &= ~(1UL << _depth);
    }

    private void Close(byte bracket)
    {
        _depth--;
        Reserve(1)[0] = bracket;
        _pos++;
        if (_depth == 0) Commit();
    }

    private void Raw(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _pos += bytes.Length;
    }

    private void WriteEscaped(string value)
    {
        Raw("\""u8);
        WriteEscapedContent(value);
        Raw("\""u8);
    }

    private void WriteEscapedContent(ReadOnlySpan<char> value)
    {
        // Worst case per char: "\uXXXX" = 6 bytes.
        Span<byte> span = Reserve(value.Length * 6);
        // Most of argv and paths is printable ASCII: that run is narrowed to bytes vectorized,
        // and only the rest goes char by char.
        int plain = value.IndexOfAnyExcept(PlainAscii);
        if (plain < 0) plain = value.Length;
        System.Text.Ascii.FromUtf16(value[..plain], span, out int n);
        for (int i = plain; i < value.Length; i++)
        {
            char c = value[i];
            if (c < 0x80)
            {
                if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
                {
                    span[n++] = (byte)c;
                    continue;
                }
                span[n++] = (byte)'\\';
                switch (c)
                {
                    case '"': span[n++] = (byte)'"'; break;
                    case '\\': span[n++] = (byte)'\\'; break;
                    case '\n': span[n++] = (byte)'n'; break;
                    case '\r': span[n++] = (byte)'r'; break;
                    case '\t': span[n++] = (byte)'t'; break;
                    default: n += WriteUnicodeEscape(span[n..], c); break;
                }
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                n += new Rune(c, value[++i]).EncodeToUtf8(span[n..]);
                continue;
            }
            if (char.IsSurrogate(c))
            {
                // A lone surrogate: an invalid byte escaped by ProcText (U+DC80..U+DCFF).
                span[n++] = (byte)'\\';
                n += WriteUnicodeEscape(span[n..], c);
                continue;
            }
            n += new Rune(c).EncodeToUtf8(span[n..]);
        }
        _pos += n;
    }

    /// <summary>Printable ASCII that JSON takes as is: U+0020..U+007E but the quote and the backslash.</summary>
    private static readonly SearchValues<char> PlainAscii = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private static int WriteUnicodeEscape(Span<byte> span, char c)
    {
        const string hex = "0123456789abcdef";
        span[0] = (byte)'u';
        span[1] = (byte)hex[(c >> 12) & 0xf];
        span[2] = (byte)hex[(c >> 8) & 0xf];
        span[3] = (byte)hex[(c >> 4) & 0xf];
        span[4] = (byte)hex[c & 0xf];
        return 5;
    }
}
