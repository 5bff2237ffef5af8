namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// The kernel filter's markers (<see cref="FilteredRecord"/>) waiting for their connector
/// event, for <see cref="ExecArgvJoin"/> (under its lock): a connector exec, fork or exit whose
/// record the kernel left out is dropped there, as the user-space filter would drop it, without
/// a /proc read. Bounded: when full, the oldest marker goes (its event then takes the
/// unjoined path, which the user-space filter judges from /proc).
/// </summary>
internal sealed class FilteredMarks
{
    private const int Capacity = 16 * 1024;
    private const long MatchWindowNs = 1_000_000_000;

    // A process can exec several times before the connector's first exec is read (sh -c 'exec x').
    private readonly Dictionary<int, List<long>> _execs = [];
    private readonly Queue<(int Tgid, long Ns)> _execOrder = new();
    private readonly LifecycleRecordTable<FilteredRecord> _forks = new(Capacity, MatchWindowNs);
    private readonly LifecycleRecordTable<FilteredRecord> _exits = new(Capacity, MatchWindowNs);

    /// <summary>Connector events dropped for a marker.</summary>
    public long Dropped { get; private set; }

    public void Keep(FilteredRecord marker)
    {
        switch (marker.FilteredKind)
        {
            case record_kind.RECORD_EXEC:
                KeepExec(marker.Tgid, (long)marker.KernelTimeNs);
                break;
            case record_kind.RECORD_FORK:
                _forks.Keep(marker);
                break;
            case record_kind.RECORD_EXIT:
                _exits.Keep(marker);
                break;
        }
    }

    /// <summary>
    /// The newest exec marker of <paramref name="tgid"/> no later than the connector's exec
    /// (those up to it are used up), or -1. The caller compares it with the newest exec record.
    /// </summary>
    public long TakeExec(int tgid, long eventNs)
    {
        if (!_execs.TryGetValue(tgid, out List<long>? times))
            return -1;
        long newest = -1;
        for (int i = times.Count - 1; i >= 0; i--)
        {
            if (times[i] <= eventNs)
            {
                newest = Math.Max(newest, times[i]);
                times.RemoveAt(i);
            }
        }
        if (times.Count == 0)
            _execs.Remove(tgid);
        return newest;
    }

    public bool HasFork(int tgid) => _forks.Contains(tgid);

    /// <summary>True when the connector's fork of <paramref name="tgid"/> was left out by the kernel (the marker is used up).</summary>
    public bool TakeFork(int tgid, long eventNs) => _forks.Take(tgid, eventNs) is not null;

    public bool TakeExit(int tgid, long eventNs) => _exits.Take(tgid, eventNs) is not null;

    /// <summary>Counts a connector event dropped for its marker.</summary>
    public void CountDropped() => Dropped++;

    private void KeepExec(int tgid, long ns)
    {
        if (!_execs.TryGetValue(tgid, out List<long>? times))
        {
            times = new List<long>(1);
            _execs[tgid] = times;
        }
        times.Add(ns);
        _execOrder.Enqueue((tgid, ns));
        while (_execOrder.Count > Capacity && _execOrder.TryDequeue(out (int Tgid, long Ns) oldest))
        {
            // Used-up markers are still in the order: removing one that is gone does nothing.
            if (_execs.TryGetValue(oldest.Tgid, out List<long>? list) && list.Remove(oldest.Ns) && list.Count == 0)
                _execs.Remove(oldest.Tgid);
        }
    }
}
