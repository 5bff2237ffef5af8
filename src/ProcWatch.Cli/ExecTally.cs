using ProcWatch.Events;
using ProcWatch.Interop;

namespace ProcWatch.Cli;

/// <summary>
/// What `-S` says about the events shown (after filters): counts per kind, and execs per
/// executable (bounded: at most <see cref="MaxDistinct"/> distinct programs, the rest under "(other)").
/// </summary>
/// <remarks>
/// One program, one key: eBPF reports the path as execve got it (<c>/bin/true</c>), /proc the
/// resolved one (<c>/usr/bin/true</c>); each absolute path is resolved once (realpath, cached)
/// so both count together. A process whose executable was never read counts under its name in
/// brackets, as the table shows kernel threads.
/// </remarks>
internal sealed class ExecTally
{
    private const int MaxDistinct = 10_000;
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _resolved = new(StringComparer.Ordinal);
    private readonly long[] _shown = new long[Enum.GetValues<ProcessEventKind>().Length];

    public long Shown(ProcessEventKind kind) => _shown[(int)kind];

    public void Add(ProcessEvent e)
    {
        _shown[(int)e.Kind]++;
        if (e is not ExecEvent exec)
            return;
        string key = exec.Process?.Executable is { } path ? Resolve(path)
            : exec.Process?.Name is { } name ? $"[{name}]"
            : "(unknown)";
        if (!_counts.ContainsKey(key) && _counts.Count >= MaxDistinct)
            key = "(other)";
        _counts[key] = _counts.GetValueOrDefault(key) + 1;
    }

    /// <summary>The most frequent executables, most frequent first.</summary>
    public List<KeyValuePair<string, long>> Top(int count)
    {
        var all = new List<KeyValuePair<string, long>>(_counts);
        all.Sort((a, b) => b.Value != a.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        if (all.Count > count)
            all.RemoveRange(count, all.Count - count);
        return all;
    }

    private string Resolve(string path)
    {
        if (!path.StartsWith('/'))
            return path; // relative to the process's cwd, not ours
        if (_resolved.TryGetValue(path, out string? real))
            return real;
        real = Libc.RealPath(path) ?? path; // gone since: as reported
        if (_resolved.Count < MaxDistinct)
            _resolved[path] = real;
        return real;
    }
}
