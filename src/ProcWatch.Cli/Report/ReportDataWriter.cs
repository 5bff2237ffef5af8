using System.Buffers;
using System.Buffers.Text;

namespace ProcWatch.Cli.Report;

/// <summary>
/// The model as the compact JSON the page's script reads (Web/report-data.js unpacks it).
/// Times are microseconds from the first process start. Executables, names, working
/// directories and users repeat across thousands of processes, so they are written once in
/// a string table and referred to by index: the page stays well under the recording's size.
/// </summary>
internal sealed class ReportDataWriter
{
    private readonly IBufferWriter<byte> _out;
    private readonly Dictionary<string, int> _stringIndex = new(StringComparer.Ordinal);
    private readonly List<string> _strings = [];

    private ReportDataWriter(IBufferWriter<byte> output) => _out = output;

    public static void Write(ReportModel model, IBufferWriter<byte> output, DateTimeOffset generatedAt) =>
        new ReportDataWriter(output).WriteModel(model, generatedAt);

    private void WriteModel(ReportModel model, DateTimeOffset generatedAt)
    {
        long t0 = long.MaxValue, t1 = long.MinValue;
        foreach (ReportProcess p in model.Processes)
        {
            t0 = Math.Min(t0, p.StartUs);
            t1 = Math.Max(t1, Math.Max(p.StartUs, Math.Max(p.EndUs ?? long.MinValue, p.ExecUs ?? long.MinValue)));
        }
        if (t0 == long.MaxValue) t0 = t1 = 0;

        var index = new Dictionary<ReportProcess, int>(model.Processes.Count, ReferenceEqualityComparer.Instance);
        for (int i = 0; i < model.Processes.Count; i++) index[model.Processes[i]] = i;

        Raw("{\"version\":1,\"generatedAt\":"u8);
        Str(generatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        NumMember(",\"t0\":"u8, t0);
        NumMember(",\"t1\":"u8, t1 - t0);
        NumMember(",\"lines\":"u8, model.LinesRead);
        NumMember(",\"corruptLines\":"u8, model.CorruptLines);
        NumMember(",\"omitted\":"u8, model.ProcessesOmitted);
        NumMember(",\"alertsOmitted\":"u8, model.AlertsOmitted);
        Raw(",\"files\":"u8); StrArray(model.Files);
        Raw(",\"hosts\":"u8); StrArray(model.Hosts);
        Rows(",\"corrupt\":["u8, model.CorruptSamples, ","u8, c =>
        {
            Str(c.File); Raw(","u8); Num(c.Line); Raw(","u8); Str(c.Reason); Raw(","u8); Str(c.Excerpt);
        });
        Rows(",\"lost\":["u8, model.Lost, ","u8, l =>
        {
            Num(l.TimeUs == 0 ? 0 : l.TimeUs - t0); Raw(","u8); Str(l.Reason); Raw(","u8); Num(l.Count);
        });
        Rows(",\"alerts\":["u8, model.Alerts, ","u8, a =>
        {
            Num(a.Process is null ? -1 : index[a.Process]); Raw(","u8); Num(a.TimeUs - t0);
            Raw(","u8); Str(a.RuleId); Raw(","u8); Str(a.RuleName); Raw(","u8); Str(a.Ruleset); Raw(","u8); Str(a.Severity);
        });
        // [pid, parent index, entity_id, start, end, exec, outcome, exit code, signal name,
        //  executable, name, cwd, user (string table indexes), argv, duration µs, cpu ns, peak rss, flags]
        Rows(",\"processes\":["u8, model.Processes, ",\n"u8, p =>
        {
            Num(p.Pid);
            Raw(","u8); Num(p.Parent is null ? -1 : index[p.Parent]);
            Raw(","u8); Str(p.EntityId);
            Raw(","u8); Num(p.StartUs - t0);
            Raw(","u8); OptNum(p.EndUs - t0);
            Raw(","u8); OptNum(p.ExecUs - t0);
            Raw(","u8); Num((int)p.Outcome);
            Raw(","u8); OptNum(p.ExitCode);
            Raw(","u8); Str(p.SignalName);
            Raw(","u8); Interned(p.Executable);
            Raw(","u8); Interned(p.Name);
            Raw(","u8); Interned(p.WorkingDirectory);
            Raw(","u8); Interned(p.User);
            Raw(","u8);
            if (p.Args is null) Raw("null"u8);
            else StrArray(p.Args);
            Raw(","u8); OptNum(p.DurationNs / 1000);
            Raw(","u8); OptNum(p.CpuTimeNs);
            Raw(","u8); OptNum(p.PeakRssBytes);
            Raw(","u8); Num((p.ArgsTruncated ? 1 : 0) | (p.ArgvSource == "none" ? 2 : 0) | (p.ExecUs is null ? 4 : 0) | (p.ContainerEntry ? 8 : 0));
            Raw(","u8); Interned(p.Container);
            Raw(","u8); Interned(p.Pod);
        });
        // Written last: only now is the table complete.
        Raw(",\n\"strings\":"u8);
        StrArray(_strings);
        Raw("}"u8);
    }

    /// <summary><paramref name="key"/> (<c>,"name":[</c>), then each row as an array, <paramref name="separator"/> between rows, then <c>]</c>.</summary>
    private void Rows<T>(ReadOnlySpan<byte> key, IReadOnlyList<T> rows, ReadOnlySpan<byte> separator, Action<T> writeRow)
    {
        Raw(key);
        for (int i = 0; i < rows.Count; i++)
        {
            if (i > 0) Raw(separator);
            Raw("["u8);
            writeRow(rows[i]);
            Raw("]"u8);
        }
        Raw("]"u8);
    }

    private void NumMember(ReadOnlySpan<byte> key, long value)
    {
        Raw(key);
        Num(value);
    }

    private void Interned(string? value)
    {
        if (value is null)
        {
            Raw("-1"u8);
            return;
        }
        if (!_stringIndex.TryGetValue(value, out int i))
        {
            i = _strings.Count;
            _strings.Add(value);
            _stringIndex[value] = i;
        }
        Num(i);
    }

    private void StrArray(IReadOnlyList<string> items)
    {
        Raw("["u8);
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) Raw(","u8);
            JsonStrings.WriteQuoted(_out, items[i]);
        }
        Raw("]"u8);
    }

    private void Str(string? value)
    {
        if (value is null) Raw("null"u8);
        else JsonStrings.WriteQuoted(_out, value);
    }

    private void OptNum(long? value)
    {
        if (value is { } v) Num(v);
        else Raw("null"u8);
    }

    private void Num(long value)
    {
        Span<byte> span = _out.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out int n);
        _out.Advance(n);
    }

    private void Raw(ReadOnlySpan<byte> bytes) => _out.Write(bytes);
}
