using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;

namespace ProcWatch.Cli.Report;

/// <summary>
/// Reads one JSON line into an <see cref="EcsRecord"/> with <see cref="Utf8JsonReader"/> (no
/// reflection: NativeAOT). Each value is matched by its dotted path, so nested and flattened
/// ECS read the same. Unknown fields are skipped; a line that is not JSON is reported, never thrown.
/// </summary>
internal sealed class EcsLineParser
{
    private const int MaxPath = 128;
    private readonly char[] _path = new char[MaxPath];

    public bool TryParse(ReadOnlySpan<byte> line, EcsRecord record, out string? error)
    {
        record.Reset();
        error = null;
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 32 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "not a JSON object";
                return false;
            }
            ReadObject(ref reader, 0, record);
            if (reader.Read())
            {
                error = "text after the JSON object";
                return false;
            }
            return true;
        }
        catch (JsonException ex)
        {
            // Utf8JsonReader only reports malformed JSON by throwing; a corrupt line is rare.
            error = ex.Message.Split(". ")[0];
            return false;
        }
    }

    private void ReadObject(ref Utf8JsonReader reader, int prefix, EcsRecord r)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int length = AppendName(ref reader, prefix);
            reader.Read();
            ReadOnlySpan<char> path = _path.AsSpan(0, Math.Max(length, 0));
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject when length > 0:
                    ReadObject(ref reader, length, r);
                    break;
                case JsonTokenType.StartArray when path.SequenceEqual("process.args"):
                    r.Args = ReadStrings(ref reader);
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    reader.Skip();
                    break;
                default:
                    if (length > 0)
                        SetValue(ref reader, path, r);
                    break;
            }
        }
    }

    /// <summary>Appends ".name" to the path; -1 when the path would be too long (the value is skipped).</summary>
    private int AppendName(ref Utf8JsonReader reader, int prefix)
    {
        if (prefix < 0)
            return -1;
        int n = prefix;
        if (n > 0) _path[n++] = '.';
        ReadOnlySpan<byte> name = reader.ValueSpan;
        if (n + name.Length > MaxPath || reader.ValueIsEscaped)
            return -1; // ECS names are short ASCII; anything else is not a field we read
        for (int i = 0; i < name.Length; i++)
            _path[n++] = (char)name[i];
        return n;
    }

    private static List<string> ReadStrings(ref Utf8JsonReader reader)
    {
        var items = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String) items.Add(Text(ref reader)!);
            else reader.Skip();
        }
        return items;
    }

    private static void SetValue(ref Utf8JsonReader reader, ReadOnlySpan<char> path, EcsRecord r)
    {
        switch (path)
        {
            case "@timestamp": r.TimeUs = Time(ref reader); break;
            case "event.time_us": r.TimeUs = Long(ref reader); break; // ClickHouse rows (fleet report): microseconds
            case "event.kind": r.Kind = Text(ref reader); break;
            case "event.action": r.Action = Text(ref reader); break;
            case "process.pid": r.Pid = Int(ref reader) ?? 0; break;
            case "process.thread.id": r.ThreadId = Int(ref reader) ?? 0; break;
            case "process.name": r.Name = Text(ref reader); break;
            case "process.executable": r.Executable = Text(ref reader); break;
            case "process.working_directory": r.WorkingDirectory = Text(ref reader); break;
            case "process.entity_id": r.EntityId = Text(ref reader); break;
            case "process.start": r.StartUs = Time(ref reader); break;
            case "process.end": r.EndUs = Time(ref reader); break;
            case "process.exit_code": r.ExitCode = Int(ref reader); break;
            case "process.user.name": r.UserName = Text(ref reader); break;
            case "process.user.id": r.UserId = Text(ref reader); break;
            case "process.parent.pid": r.ParentPid = Int(ref reader) ?? 0; break;
            case "process.parent.entity_id": r.ParentEntityId = Text(ref reader); break;
            case "rule.id": r.RuleId = Text(ref reader); break;
            case "rule.name": r.RuleName = Text(ref reader); break;
            case "rule.ruleset": r.Ruleset = Text(ref reader); break;
            case "rule.severity": r.RuleSeverity = Text(ref reader); break;
            case "host.hostname": r.Hostname = Text(ref reader); break;
            case "container.id": r.ContainerId = Text(ref reader); break;
            case "container.name": r.ContainerName = Text(ref reader); break;
            case "container.image.name": r.ContainerImage = Text(ref reader); break;
            case "container.runtime": r.ContainerRuntime = Text(ref reader); break;
            case "orchestrator.namespace": r.PodNamespace = Text(ref reader); break;
            case "orchestrator.resource.name": r.PodName = Text(ref reader); break;
            case "procwatch.container_entry": r.ContainerEntry = reader.TokenType == JsonTokenType.True; break;
            case "procwatch.thread": r.IsThread = reader.TokenType == JsonTokenType.True; break;
            case "procwatch.signal": r.Signal = Int(ref reader); break;
            case "procwatch.signal_name": r.SignalName = Text(ref reader); break;
            case "procwatch.core_dumped": r.CoreDumped = reader.TokenType == JsonTokenType.True; break;
            case "procwatch.wait_status": r.WaitStatusUnknown = reader.TokenType == JsonTokenType.Null; break;
            case "procwatch.duration_ns": r.DurationNs = Long(ref reader); break;
            case "procwatch.lost_reason": r.LostReason = Text(ref reader); break;
            case "procwatch.lost_count": r.LostCount = Long(ref reader) ?? 0; break;
            case "procwatch.argv_source": r.ArgvSource = Text(ref reader); break;
            case "procwatch.args_truncated": r.ArgsTruncated = reader.TokenType == JsonTokenType.True; break;
            // An exit's CPU time is user + system, as the kernel's exit record gives them.
            case "procwatch.cpu_user_ns" or "procwatch.cpu_system_ns":
                if (Long(ref reader) is { } cpu) r.CpuTimeNs = (r.CpuTimeNs ?? 0) + cpu;
                break;
            case "procwatch.peak_rss_bytes": r.PeakRssBytes = Long(ref reader); break;
        }
    }

    private static string? Text(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.ValueIsEscaped ? JsonStrings.Unescape(reader.ValueSpan) : ProcWatch.Text.ProcText.Decode(reader.ValueSpan),
        JsonTokenType.Number => System.Text.Encoding.ASCII.GetString(reader.ValueSpan), // ids written as numbers
        _ => null,
    };

    private static int? Int(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int value) ? value : null;

    private static long? Long(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long value) ? value : null;

    private static long? Time(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped ? Timestamps.ParseMicroseconds(reader.ValueSpan) : null;
}

/// <summary>ISO 8601 timestamps as microseconds since the Unix epoch.</summary>
internal static class Timestamps
{
    /// <summary>The fixed form ProcWatch writes (2026-12-01T09:51:14.733469Z) fast; any other ISO 8601 form the slow way.</summary>
    public static long? ParseMicroseconds(ReadOnlySpan<byte> text)
    {
        if (text.Length == 27 && text[4] == '-' && text[10] == 'T' && text[19] == '.' && text[26] == 'Z'
            && Utf8Parser.TryParse(text[..4], out int year, out int c1) && c1 == 4
            && Utf8Parser.TryParse(text.Slice(5, 2), out int month, out _)
            && Utf8Parser.TryParse(text.Slice(8, 2), out int day, out _)
            && Utf8Parser.TryParse(text.Slice(11, 2), out int hour, out _)
            && Utf8Parser.TryParse(text.Slice(14, 2), out int minute, out _)
            && Utf8Parser.TryParse(text.Slice(17, 2), out int second, out _)
            && Utf8Parser.TryParse(text.Slice(20, 6), out int micros, out int c7) && c7 == 6
            && year is >= 1 and <= 9999 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            && hour < 24 && minute < 60 && second < 60)
        {
            long ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks;
            return ticks / 10 + micros;
        }
        if (DateTimeOffset.TryParse(System.Text.Encoding.ASCII.GetString(text), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed))
            return (parsed.UtcTicks - DateTime.UnixEpoch.Ticks) / 10;
        return null;
    }
}
