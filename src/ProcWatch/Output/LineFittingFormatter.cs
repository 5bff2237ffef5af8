using System.Buffers;
using System.Text;

namespace ProcWatch.Output;

/// <summary>
/// Cuts every line another formatter writes to the terminal's width, ending a cut line with
/// "…", so that one 2 MB command line cannot fill the screen and nothing wraps. Columns are
/// counted one per character: the text is already escaped for the terminal (no control
/// characters), and wide East Asian characters are rare in command lines (they may overflow
/// by a few columns, never by a screen). <paramref name="columns"/> is read for every event,
/// so a resized terminal takes effect on the next line.
/// </summary>
internal sealed class LineFittingFormatter(IEventFormatter inner, Func<int> columns) : IEventFormatter
{
    private static ReadOnlySpan<byte> Ellipsis => "…"u8;

    /// <summary>Reused for every event: formatting stays allocation-free once it has grown.</summary>
    private readonly ArrayBufferWriter<byte> _scratch = new(4096);

    public void WriteHeader(IBufferWriter<byte> output)
    {
        inner.WriteHeader(_scratch);
        CopyFitted(output);
    }

    public void Write(ProcessEvent processEvent, IBufferWriter<byte> output)
    {
        inner.Write(processEvent, _scratch);
        CopyFitted(output);
    }

    private void CopyFitted(IBufferWriter<byte> output)
    {
        int width = columns();
        ReadOnlySpan<byte> text = _scratch.WrittenSpan;
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? text : text[..end];
            text = end < 0 ? default : text[(end + 1)..];
            Fit(line, width, output);
            if (end >= 0)
                output.Write("\n"u8);
        }
        _scratch.ResetWrittenCount();
        if (_scratch.Capacity > 1024 * 1024)
            _scratch.Clear(); // a 2 MB command line once: do not keep its buffer
    }

    /// <summary>Writes <paramref name="line"/> whole when it fits in <paramref name="width"/> columns, else its first width − 1 columns and "…".</summary>
    internal static void Fit(ReadOnlySpan<byte> line, int width, IBufferWriter<byte> output)
    {
        if (width < 2 || line.Length <= width)
        {
            output.Write(line); // bytes >= columns: it fits
            return;
        }
        int seen = 0, cut = -1, at = 0;
        while (at < line.Length)
        {
            if (seen == width - 1)
                cut = at;
            if (seen == width)
            {
                output.Write(line[..cut]);
                output.Write(Ellipsis);
                return;
            }
            Rune.DecodeFromUtf8(line[at..], out _, out int consumed);
            at += consumed;
            seen++;
        }
        output.Write(line); // exactly width columns or fewer
    }
}
