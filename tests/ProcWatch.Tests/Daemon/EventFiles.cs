using Xunit;
using System.Text.Json;

namespace ProcWatch.Tests.Daemon;

/// <summary>Reads a file output (the file and its rotated copies) back as JSON documents.</summary>
internal static class EventFiles
{
    /// <summary>Every line of the output files under <paramref name="directory"/> named <paramref name="name"/>*, oldest file first.</summary>
    public static List<string> Lines(string directory, string name = "events.json")
    {
        // A rotation may rename files between listing and reading: list again then.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return ReadAll(directory, name);
            }
            catch (FileNotFoundException) when (attempt < 20)
            {
                Thread.Sleep(20);
            }
        }
    }

    private static List<string> ReadAll(string directory, string name)
    {
        var files = Directory.GetFiles(directory, name + "*")
            .Select(f => (File: f, Order: f.Length == Path.Combine(directory, name).Length ? 0 : int.Parse(f[(f.LastIndexOf('.') + 1)..])))
            .OrderByDescending(x => x.Order)
            .Select(x => x.File);
        var lines = new List<string>();
        foreach (string file in files)
        {
            string text = ReadShared(file);
            lines.AddRange(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        return lines;
    }

    public static string ReadShared(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The documents whose process.pid is one of <paramref name="pids"/> (cheap text test first).</summary>
    public static List<JsonElement> ForPids(IEnumerable<string> lines, IReadOnlySet<int> pids)
    {
        var found = new List<JsonElement>();
        foreach (string line in lines)
        {
            int at = line.IndexOf("\"process\":{\"pid\":", StringComparison.Ordinal);
            if (at < 0) continue;
            int start = at + "\"process\":{\"pid\":".Length;
            int end = line.IndexOf(',', start);
            if (end < 0 || !int.TryParse(line.AsSpan(start, end - start), out int pid) || !pids.Contains(pid))
                continue;
            found.Add(Parse(line));
        }
        return found;
    }

    /// <summary>
    /// The documents of one process instance: its exec has pid <paramref name="pid"/> and
    /// <paramref name="isOurs"/> says it is the test's (a unique token in argv or path); its other
    /// documents (exit, alerts) are joined by that exec's <c>process.entity_id</c>, as a SIEM joins
    /// them. A pid alone is not enough: pids are reused (a busy host wraps pid_max 32768 in
    /// seconds; other tests write ns_last_pid), and another process on the same pid would be
    /// counted too. Empty until the exec is written.
    /// </summary>
    public static List<JsonElement> OfProcess(IEnumerable<string> lines, int pid, Func<JsonElement, bool> isOurs)
    {
        List<JsonElement> onPid = ForPids(lines, new HashSet<int> { pid });
        var entities = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonElement e in onPid)
        {
            if (e.Str("event.action") == "exec" && e.Str("event.kind") == "event" && isOurs(e) && e.Str("process.entity_id") is { } entity)
                entities.Add(entity);
        }
        return onPid.Where(e => e.Str("process.entity_id") is { } entity && entities.Contains(entity)).ToList();
    }

    /// <summary><see cref="OfProcess"/> for a process whose argv holds <paramref name="token"/>.</summary>
    public static List<JsonElement> OfProcess(IEnumerable<string> lines, int pid, string token) =>
        OfProcess(lines, pid, e => e.Args().Contains(token));

    public static JsonElement Parse(string line)
    {
        using JsonDocument doc = JsonDocument.Parse(line);
        return doc.RootElement.Clone();
    }

    public static JsonElement At(this JsonElement e, string dottedPath)
    {
        foreach (string part in dottedPath.Split('.'))
            e = e.GetProperty(part);
        return e;
    }

    public static string? Str(this JsonElement e, string dottedPath)
    {
        foreach (string part in dottedPath.Split('.'))
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e))
                return null;
        }
        return e.ValueKind == JsonValueKind.String ? e.GetString() : e.ToString();
    }

    public static string[] Args(this JsonElement e) =>
        e.TryGetProperty("process", out JsonElement p) && p.TryGetProperty("args", out JsonElement a)
            ? a.EnumerateArray().Select(x => x.GetString()!).ToArray()
            : [];
}
