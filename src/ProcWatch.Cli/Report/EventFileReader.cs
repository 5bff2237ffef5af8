using System.Globalization;

namespace ProcWatch.Cli.Report;

/// <summary>
/// Reads recorded event files (or standard input, "-") line by line into a
/// <see cref="ReportModelBuilder"/>. A rotated set (events.json.2, events.json.1, events.json)
/// is read oldest first whatever order the shell listed it in. A line that is not valid JSON
/// (truncated by a crash, corrupted on disk) is counted and sampled, and reading goes on.
/// </summary>
internal static class EventFileReader
{
    /// <summary>A line longer than this is not an event (ProcWatch bounds argv well below it).</summary>
    public const int MaxLineBytes = 16 * 1024 * 1024;

    public static ReportModel Read(IReadOnlyList<string> inputs, StreamSource? stdin = null)
    {
        var builder = new ReportModelBuilder();
        var parser = new EcsLineParser();
        var record = new EcsRecord();
        foreach (string input in OldestFirst(inputs))
        {
            builder.AddFile(input);
            if (input == "-")
            {
                using Stream s = stdin?.Invoke() ?? Console.OpenStandardInput();
                ReadStream(s, "standard input", builder, parser, record);
                continue;
            }
            Stream file;
            try
            {
                file = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ReportInputException($"cannot read {input}: {ex.Message}");
            }
            using (file)
                ReadStream(file, input, builder, parser, record);
        }
        return builder.Build();
    }

    /// <summary>Opens standard input (tests pass their own).</summary>
    public delegate Stream StreamSource();

    private static void ReadStream(Stream stream, string name, ReportModelBuilder builder, EcsLineParser parser, EcsRecord record)
    {
        byte[] buffer = new byte[1 << 20];
        int start = 0, end = 0;
        long lineNumber = 0;
        bool skippingLongLine = false;
        while (true)
        {
            int read;
            try
            {
                read = stream.Read(buffer, end, buffer.Length - end);
            }
            catch (IOException ex)
            {
                throw new ReportInputException($"cannot read {name}: {ex.Message}");
            }
            end += read;
            int newline;
            while ((newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n')) >= 0)
            {
                lineNumber++;
                var line = new ReadOnlySpan<byte>(buffer, start, newline);
                if (skippingLongLine)
                    skippingLongLine = false; // its end: counted as corrupt when it began
                else
                    AddLine(line, name, lineNumber, builder, parser, record);
                start += newline + 1;
            }
            if (read == 0)
            {
                if (end > start && !skippingLongLine)
                    AddLine(new ReadOnlySpan<byte>(buffer, start, end - start), name, ++lineNumber, builder, parser, record);
                return;
            }
            // Keep the partial line: move it to the front, grow the buffer for a long one, up to the bound.
            int partial = end - start;
            if (partial == buffer.Length)
            {
                if (skippingLongLine)
                {
                    partial = 0; // still inside the overlong line
                }
                else if (buffer.Length >= MaxLineBytes)
                {
                    builder.AddCorrupt(name, lineNumber + 1, $"line longer than {MaxLineBytes / (1024 * 1024)} MiB", buffer);
                    skippingLongLine = true;
                    partial = 0;
                }
                else
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
            }
            else
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, partial);
            }
            start = 0;
            end = partial;
        }
    }

    private static void AddLine(ReadOnlySpan<byte> line, string name, long number, ReportModelBuilder builder, EcsLineParser parser, EcsRecord record)
    {
        line = line.TrimEnd("\r"u8);
        if (line.Trim(" \t"u8).IsEmpty)
            return;
        if (parser.TryParse(line, record, out string? error))
            builder.Add(record);
        else
            builder.AddCorrupt(name, number, error ?? "unreadable", line);
    }

    /// <summary>Rotated files (NAME.N) before NAME, highest N first; other files keep their order.</summary>
    public static IReadOnlyList<string> OldestFirst(IReadOnlyList<string> inputs)
    {
        var keyed = new List<(string Base, int Generation, int Order, string Path)>();
        var firstSeen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string input in inputs)
        {
            string baseName = input;
            int generation = 0;
            int dot = input.LastIndexOf('.');
            if (dot > 0 && int.TryParse(input.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                baseName = input[..dot];
                generation = n;
            }
            if (!firstSeen.TryGetValue(baseName, out int order))
                firstSeen[baseName] = order = firstSeen.Count;
            keyed.Add((baseName, generation, order, input));
        }
        keyed.Sort((a, b) => a.Order != b.Order ? a.Order.CompareTo(b.Order) : b.Generation.CompareTo(a.Generation));
        var result = new List<string>(keyed.Count);
        foreach (var k in keyed) result.Add(k.Path);
        return result;
    }
}
