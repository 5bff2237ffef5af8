using ProcWatch.Events;

namespace ProcWatch.Cli;

/// <summary>Counts execs per executable for `-S` (bounded: at most <see cref="MaxDistinct"/> distinct programs, the rest under "(other)").</summary>
internal sealed class ExecTally
{
    private const int MaxDistinct = 10_000;
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(ProcessEvent e)
    {
        if (e is not ExecEvent exec)
            return;
        string key = exec.Process?.Executable ?? exec.Process?.Name ?? "(unknown)";
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
}
