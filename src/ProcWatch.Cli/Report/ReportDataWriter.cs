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
        Raw(",\"t0\":"u8); Num(t0);
        Raw(",\"t1\":"u8); Num(t1 - t0);
        Raw(",\"lines\":"u8); Num(model.LinesRead);
        Raw(",\"corruptLines\":"u8); Num(model.CorruptLines);
        Raw(",\"omitted\":"u8); Num(model.ProcessesOmitted);
        Raw(",\"alertsOmitted\":"u8); Num(model.AlertsOmitted);
        Raw(",\"files\":"u8); StrArray(model.Files);
        Raw(",\"hosts\":"u8); StrArray(model.Hosts);
        Raw(",\"corrupt\":["u8);
        for (int i = 0; i < model.CorruptSamples.Count; i++)
        {
            CorruptLine c = model.CorruptSamples[i];
            if (i > 0) Raw(","u8);
            Raw("["u8); Str(c.File); Raw(","u8); Num(c.Line); Raw(","u8); Str(c.Reason); Raw(","u8); Str(c.Excerpt); Raw("]"u8);
        }
        Raw("],\"lost\":["u8);
        for (int i = 0; i < model.Lost.Count; i++)
        {
            LostReport l = model.Lost[i];
            if (i > 0) Raw(","u8);
            Raw("["u8); Num(l.TimeUs == 0 ? 0 : l.TimeUs - t0); Raw(","u8); Str(l.Reason); Raw(","u8); Num(l.Count); Raw("]"u8);
        }
        Raw("],\"alerts\":["u8);
        for (int i = 0; i < model.Alerts.Count; i++)
        {
            ReportAlert a = model.Alerts[i];
            if (i > 0) Raw(","u8);
            Raw("["u8); Num(a.Process is null ? -1 : index[a.Process]); Raw(","u8); Num(a.TimeUs - t0);
            Raw(","u8); Str(a.RuleId); Raw(","u8); Str(a.RuleName); Raw(","u8); Str(a.Ruleset); Raw(","u8); Str(a.Severity); Raw("]"u8);
        }
        // [pid, parent index, entity_id, start, end, exec, outcome, exit code, signal name,
        //  executable, name, cwd, user (string table indexes), argv, duration µs, cpu ns, peak rss, flags]
        Raw("],\"processes\":["u8);
        for (int i = 0; i < model.Processes.Count; i++)
        {
            ReportProcess p = model.Processes[i];
            if (i > 0) Raw(",\n"u8);
            Raw("["u8); Num(p.Pid);
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
            Raw(","u8); Num((p.ArgsTruncated ? 1 : 0) | (p.ArgvSource == "none" ? 2 : 0) | (p.ExecUs is null ? 4 : 0));
            Raw("]"u8);
        }
        // Written last: only now is the table complete.
        Raw("],\n\"strings\":"u8);
        StrArray(_strings);
        Raw("}"u8);
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
