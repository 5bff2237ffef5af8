namespace ProcWatch.Tracking;

/// <summary>
/// Live processes by pid, bounded: at <see cref="Capacity"/> the least recently used entry
/// is evicted (long-idle processes, typically seeded kernel threads and daemons, go first;
/// whatever an event just touched stays). An evicted process is re-read from /proc when it
/// shows up again. Not thread-safe: used on the pipeline's thread only.
/// </summary>
internal sealed class ProcessTable
{
    private readonly Dictionary<int, ProcessEntry> _byPid;
    private ProcessEntry? _oldest;
    private ProcessEntry? _newest;

    public ProcessTable(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _byPid = new Dictionary<int, ProcessEntry>(Math.Min(capacity, 4096));
    }

    public int Capacity { get; }
    public int Count => _byPid.Count;
    public long Evictions { get; private set; }

    /// <summary>Called with each evicted entry (statistics).</summary>
    public Action? OnEvicted { get; set; }

    /// <summary>The entry for <paramref name="pid"/>, marked as recently used.</summary>
    public ProcessEntry? Find(int pid)
    {
        if (!_byPid.TryGetValue(pid, out ProcessEntry? entry))
            return null;
        Touch(entry);
        return entry;
    }

    /// <summary>The entry without changing its recency (ancestry walks).</summary>
    public ProcessEntry? Peek(int pid) => _byPid.GetValueOrDefault(pid);

    /// <summary>Adds or replaces the entry of its pid; evicts the least recently used entry when full.</summary>
    public void Add(ProcessEntry entry)
    {
        if (_byPid.Remove(entry.Pid, out ProcessEntry? old))
            Unlink(old);
        while (_byPid.Count >= Capacity && _oldest is not null)
        {
            ProcessEntry victim = _oldest;
            Unlink(victim);
            _byPid.Remove(victim.Pid);
            Evictions++;
            OnEvicted?.Invoke();
        }
        _byPid[entry.Pid] = entry;
        LinkNewest(entry);
    }

    public ProcessEntry? Remove(int pid)
    {
        if (!_byPid.Remove(pid, out ProcessEntry? entry))
            return null;
        Unlink(entry);
        return entry;
    }

    /// <summary>Pids currently known (a copy; for resynchronisation after losses).</summary>
    public int[] Pids()
    {
        var pids = new int[_byPid.Count];
        _byPid.Keys.CopyTo(pids, 0);
        return pids;
    }

    private void Touch(ProcessEntry entry)
    {
        if (ReferenceEquals(entry, _newest))
            return;
        Unlink(entry);
        LinkNewest(entry);
    }

    private void LinkNewest(ProcessEntry entry)
    {
        entry.Older = _newest;
        entry.Newer = null;
        if (_newest is not null)
            _newest.Newer = entry;
        _newest = entry;
        _oldest ??= entry;
        entry.Linked = true;
    }

    private void Unlink(ProcessEntry entry)
    {
        if (!entry.Linked)
            return;
        if (entry.Older is not null) entry.Older.Newer = entry.Newer;
        else _oldest = entry.Newer;
        if (entry.Newer is not null) entry.Newer.Older = entry.Older;
        else _newest = entry.Older;
        entry.Older = entry.Newer = null;
        entry.Linked = false;
    }
}
