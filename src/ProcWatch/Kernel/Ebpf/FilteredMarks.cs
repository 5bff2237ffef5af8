namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// The kernel filter's markers (<see cref="FilteredRecord"/>) waiting for their connector
/// event, for <see cref="ExecArgvJoin"/> (under its lock): a connector exec, fork or exit whose
/// record the kernel left out is dropped there, as the user-space filter would drop it, without
/// a /proc read. A marker only stands for the event it can belong to, by the order the kernel
/// writes them in (pids are reused within a second in a storm): an exec's and an exit's
/// tracepoint run before the connector's message, a fork's just after it. Bounded: when full,
/// the oldest marker goes (its event then takes the unjoined path, which the user-space
/// filter judges).
/// </summary>
internal sealed class FilteredMarks
{
    private const int Capacity = 16 * 1024;
    /// <summary>How far apart a marker and its connector event may be: they are written on one code path, microseconds apart; generous for a preempted task.</summary>
    private const long MatchWindowNs = 1_000_000_000;

    // A process can exec several times before the connector's first exec is read (sh -c 'exec x').
    private readonly Dictionary<int, List<long>> _execs = [];
    private readonly Queue<(int Tgid, long Ns)> _execOrder = new();
    private readonly MarkerTable _forks = new(Capacity);
    private readonly MarkerTable _exits = new(Capacity);

    /// <summary>Connector events dropped for a marker.</summary>
    public long Dropped { get; private set; }

    public void Keep(FilteredRecord marker)
    {
        long ns = (long)marker.KernelTimeNs;
        switch (marker.FilteredKind)
        {
            case record_kind.RECORD_EXEC:
                KeepExec(marker.Tgid, ns);
                break;
            case record_kind.RECORD_FORK:
                _forks.Keep(marker.Tgid, ns);
                break;
            case record_kind.RECORD_EXIT:
                _exits.Keep(marker.Tgid, ns);
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

    /// <summary>The fork's marker is here (it comes after the connector's fork: at or after <paramref name="eventNs"/>).</summary>
    public bool HasFork(int tgid, long eventNs) => _forks.Has(tgid, eventNs, eventNs + MatchWindowNs);

    /// <summary>True when the connector's fork of <paramref name="tgid"/> was left out by the kernel (the marker is used up).</summary>
    public bool TakeFork(int tgid, long eventNs) => _forks.Take(tgid, eventNs, eventNs + MatchWindowNs);

    /// <summary>True when the connector's exit was left out by the kernel (its marker came just before it).</summary>
    public bool TakeExit(int tgid, long eventNs) => _exits.Take(tgid, eventNs - MatchWindowNs, eventNs);

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

    /// <summary>The newest fork or exit marker per tgid, bounded, oldest out first.</summary>
    private sealed class MarkerTable(int capacity)
    {
        private readonly Dictionary<int, long> _byTgid = [];
        private readonly Queue<(int Tgid, long Ns)> _order = new();

        public void Keep(int tgid, long ns)
        {
            _byTgid[tgid] = ns;
            _order.Enqueue((tgid, ns));
            while (_order.Count > capacity && _order.TryDequeue(out (int Tgid, long Ns) oldest))
            {
                if (_byTgid.TryGetValue(oldest.Tgid, out long current) && current == oldest.Ns)
                    _byTgid.Remove(oldest.Tgid);
            }
        }

        public bool Has(int tgid, long fromNs, long toNs) =>
            _byTgid.TryGetValue(tgid, out long ns) && ns >= fromNs && ns <= toNs;

        /// <summary>Uses the marker up when it falls in [from, to]; one older than that can stand for no later event either and goes too.</summary>
        public bool Take(int tgid, long fromNs, long toNs)
        {
            if (!_byTgid.TryGetValue(tgid, out long ns) || ns > toNs)
                return false;
            _byTgid.Remove(tgid);
            return ns >= fromNs;
        }
    }
}
