using ProcWatch.Core;
using ProcWatch.Kernel.Accounts;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Joins the proc connector's events with the eBPF records: each exec gets the kernel's
/// capture of its whole context (exact argv, <see cref="ArgvSource.Ebpf"/>, paths, session,
/// start), each fork the child's exact start time, each process exit its CPU time and peak
/// RSS. The join only attaches <see cref="ProcessCapture"/>s; enrichment's
/// <c>ProcessAssembler</c> merges them.
/// </summary>
/// <remarks>
/// The kernel runs the tracepoint, and so commits the BPF record, before it sends the
/// connector's exec event, both stamped with CLOCK_MONOTONIC. So when a connector exec
/// arrives, draining the ring (<see cref="BeforeExec"/>, a few memory reads) is enough to
/// have its record: no waiting. The match is the newest record of that tgid no later than the
/// event (a tgid can exec several times in a row); older records of the same tgid lost their
/// connector event and are emitted on their own first. A connector exec without a record
/// (the ring was full) passes unchanged, so enrichment reads /proc
/// (<see cref="ArgvSource.Procfs"/>). A record whose connector event never comes (netlink
/// overflow) is still emitted, as an exec of origin <see cref="EventOrigin.Ebpf"/>, once the
/// connector has moved <see cref="OrphanAfterConnectorNs"/> past it or
/// <see cref="OrphanAfterNs"/> have passed; if its connector event turns up later after
/// all (a ptrace stop sits between the two), that event is dropped as already reported.
/// Fork and exit records only add to a connector event and are never emitted alone. The fork
/// tracepoint runs just after the connector's fork message is sent, so a fork whose record
/// is not in the ring yet is waited for, briefly (<see cref="ForkRecordWaitTicks"/>), by
/// draining again; exit's tracepoint runs before the connector's exit message.
/// With a kernel filter (-u, -p), a record left out leaves a marker instead
/// (<see cref="FilteredMarks"/>): its connector event is dropped here, as the user-space
/// filter would drop it, without reading /proc.
/// Thread-safe: records come from the ring reader, events from the connector thread. What a
/// record says is turned into a capture (user names included) before the lock is taken.
/// </remarks>
internal sealed class ExecArgvJoin : IEventSink
{
    internal const long OrphanAfterConnectorNs = 250_000_000;
    internal const long OrphanAfterNs = 2_000_000_000;
    private const long DuplicateWindowNs = 10_000_000_000;
    private const int MaxPending = 64 * 1024;
    private const int RecentOrphanCapacity = 4096;
    private const int MaxLifecycle = 16 * 1024;
    private const long LifecycleMatchNs = 1_000_000_000;

    /// <summary>How long a connector fork waits for its record (Stopwatch ticks: 200 µs).</summary>
    private static readonly long ForkRecordWaitTicks = System.Diagnostics.Stopwatch.Frequency / 5000;
    private static readonly long ForkWaitBackoffTicks = System.Diagnostics.Stopwatch.Frequency / 100;
    private long _noForkWaitUntil; // connector thread only

    private readonly Lock _gate = new();
    private readonly KernelClock _clock;
    private readonly Func<long> _monotonicNow;
    private readonly AccountNames? _accounts;
    private readonly Dictionary<int, List<Pending>> _byTgid = [];
    private readonly Queue<Pending> _arrival = new();
    private readonly Dictionary<int, long> _recentOrphans = [];
    private readonly Queue<int> _recentOrphanOrder = new();
    private readonly LifecycleRecordTable<ForkRecord> _forks;
    private readonly LifecycleRecordTable<ExitRecord> _exits;
    private readonly FilteredMarks _filtered = new();
    private IEventSink? _next;
    private long _connectorHighWaterNs;
    private long _matched;
    private long _orphans;
    private long _unmatched;

    internal ExecArgvJoin(KernelClock? clock = null, AccountNames? accounts = null, Func<long>? monotonicNow = null)
    {
        _clock = clock ?? KernelClock.Shared;
        _accounts = accounts;
        _monotonicNow = monotonicNow ?? KernelClock.MonotonicNs;
        _forks = new(MaxLifecycle, LifecycleMatchNs, CountUnmatched);
        _exits = new(MaxLifecycle, LifecycleMatchNs, CountUnmatched);
    }

    /// <summary>Called (outside the join's lock) before an exec is matched: drains the ring into <see cref="OnRecord"/>.</summary>
    internal Action? BeforeExec { get; set; }

    /// <summary>Set when the fork program is attached: a connector fork then waits briefly for its record.</summary>
    internal bool ExpectForkRecords { get; set; }

    /// <summary>Set by <see cref="Attach"/>: where fork and exit records that never met their connector event are counted (<see cref="WatcherStatistics.UnmatchedKernelRecords"/>).</summary>
    private WatcherStatistics? _statistics;

    /// <summary>Connector execs that got their eBPF argv.</summary>
    internal long Matched => Interlocked.Read(ref _matched);

    /// <summary>eBPF records emitted without a connector event.</summary>
    internal long Orphans => Interlocked.Read(ref _orphans);

    /// <summary>Connector execs without an eBPF record (argv left to /proc).</summary>
    internal long Unmatched => Interlocked.Read(ref _unmatched);

    /// <summary>Where joined events go. Records that arrive before are held.</summary>
    internal void Attach(IEventSink next, WatcherStatistics? statistics = null)
    {
        lock (_gate)
        {
            _next = next;
            _statistics = statistics;
        }
    }

    private void CountUnmatched() => _statistics?.OnUnmatchedKernelRecord();

    /// <summary>A record from the ring (any thread).</summary>
    internal void OnRecord(KernelRecord record)
    {
        switch (record)
        {
            case ExecRecord exec:
                OnExecRecord(exec);
                break;
            case ForkRecord fork:
                lock (_gate)
                    _forks.Keep(fork);
                break;
            case ExitRecord exit:
                lock (_gate)
                    _exits.Keep(exit);
                break;
            case FilteredRecord filtered:
                lock (_gate)
                    _filtered.Keep(filtered);
                break;
        }
    }

    private void OnExecRecord(ExecRecord record)
    {
        var pending = new Pending(record, Describe(record)); // outside the lock: user names may read files
        lock (_gate)
        {
            if (!_byTgid.TryGetValue(record.Tgid, out List<Pending>? list))
            {
                list = new List<Pending>(1);
                _byTgid[record.Tgid] = list;
            }
            list.Add(pending);
            _arrival.Enqueue(pending);
            TrimArrival();
            if (_arrival.Count > MaxPending && _next is not null)
            {
                EmitOrphan(_arrival.Dequeue()); // bounded: the oldest goes out on its own
            }
        }
    }

    /// <summary>A connector event (the connector's thread).</summary>
    public void Fault(ProcWatchException error) => _next?.Fault(error);

    public void Post(ProcessEvent processEvent)
    {
        if (processEvent is ExecEvent exec)
        {
            BeforeExec?.Invoke();
            lock (_gate)
            {
                Advance(exec.KernelTimeNs);
                PostExec(exec);
            }
            return;
        }
        if (processEvent is ForkEvent { IsThread: false } fork)
        {
            PostFork(fork);
            return;
        }
        if (processEvent is ExitEvent { IsThread: false } exit)
        {
            BeforeExec?.Invoke();
            lock (_gate)
            {
                Advance(exit.KernelTimeNs);
                ExitRecord? record = _exits.Take(exit.Pid, exit.KernelTimeNs);
                if (record is null && DropFiltered(_filtered.TakeExit(exit.Pid, exit.KernelTimeNs)))
                    return;
                _next!.Post(record is null ? exit : exit with
                {
                    Capture = new ProcessCapture
                    {
                        Origin = CaptureOrigin.Kernel,
                        StartBootNs = record.StartBootNs,
                        UserCpu = record.UserCpu,
                        SystemCpu = record.SystemCpu,
                        PeakRssBytes = record.PeakRssBytes,
                    },
                });
            }
            return;
        }
        lock (_gate)
        {
            Advance(processEvent.KernelTimeNs);
            _next!.Post(processEvent);
        }
    }

    private void PostFork(ForkEvent fork)
    {
        BeforeExec?.Invoke();
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        // After a wait that timed out (a record the ring dropped), the next forks are not
        // waited for a while: in a storm that drops records, a wait per fork would stall the thread.
        if (ExpectForkRecords && now >= _noForkWaitUntil && !HasRecord(fork.Pid, fork.KernelTimeNs))
        {
            // The tracepoint runs right after the connector's message: give it a moment.
            long until = now + ForkRecordWaitTicks;
            do
            {
                Thread.SpinWait(20);
                BeforeExec?.Invoke();
            }
            while (!HasRecord(fork.Pid, fork.KernelTimeNs) && (now = System.Diagnostics.Stopwatch.GetTimestamp()) < until);
            if (now >= until)
                _noForkWaitUntil = now + ForkWaitBackoffTicks;
        }
        lock (_gate)
        {
            Advance(fork.KernelTimeNs);
            ForkRecord? record = _forks.Take(fork.Pid, fork.KernelTimeNs);
            if (record is null && DropFiltered(_filtered.TakeFork(fork.Pid, fork.KernelTimeNs)))
                return;
            _next!.Post(record is null ? fork : fork with
            {
                Capture = new ProcessCapture { Origin = CaptureOrigin.Kernel, StartBootNs = record.StartBootNs, ParentPid = record.ParentTgid },
            });
        }
    }

    private bool HasRecord(int tgid, long eventNs)
    {
        lock (_gate)
            return _forks.Contains(tgid) || _filtered.HasFork(tgid, eventNs);
    }

    /// <summary>Emits the records whose connector event is overdue (timer; and after each connector event).</summary>
    internal void Expire()
    {
        lock (_gate)
        {
            ExpireLocked(_monotonicNow());
        }
    }

    /// <summary>On stop: every record still waiting is emitted on its own.</summary>
    internal void Flush()
    {
        lock (_gate)
        {
            if (_next is null)
            {
                return;
            }
            while (_arrival.TryDequeue(out Pending? p))
            {
                if (!p.Done)
                {
                    EmitOrphan(p);
                }
            }
        }
    }

    private void Advance(long connectorNs)
    {
        if (connectorNs > _connectorHighWaterNs)
        {
            _connectorHighWaterNs = connectorNs;
        }
        ExpireLocked(_monotonicNow());
    }

    private void PostExec(ExecEvent exec)
    {
        long filteredAt = _filtered.TakeExec(exec.Pid, exec.KernelTimeNs);
        if (_byTgid.TryGetValue(exec.Pid, out List<Pending>? list))
        {
            // The newest record no later than the event; the ones before it lost their connector event.
            int match = -1;
            for (int i = 0; i < list.Count; i++)
            {
                if ((long)list[i].Record.KernelTimeNs <= exec.KernelTimeNs)
                {
                    match = i;
                }
            }
            if (match >= 0 && (long)list[match].Record.KernelTimeNs > filteredAt)
            {
                for (int i = 0; i < match; i++)
                {
                    EmitOrphan(list[0]);
                }
                Pending p = list[0];
                p.Done = true;
                list.RemoveAt(0);
                if (list.Count == 0)
                {
                    _byTgid.Remove(exec.Pid);
                }
                TrimArrival();
                Interlocked.Increment(ref _matched);
                _next!.Post(exec with { Capture = p.Capture, Process = ProcWatch.Tracking.ProcessAssembler.FromCapture(exec.Pid, p.Capture) });
                return;
            }
        }
        if (DropFiltered(filteredAt >= 0))
            return;
        if (_recentOrphans.TryGetValue(exec.Pid, out long orphanNs) && orphanNs <= exec.KernelTimeNs && exec.KernelTimeNs - orphanNs < DuplicateWindowNs)
        {
            _recentOrphans.Remove(exec.Pid);
            // Not posted, so not counted: the pipeline counted the orphan.
            return; // already reported, with its argv, when it was orphaned
        }
        Interlocked.Increment(ref _unmatched);
        _next!.Post(exec);
    }

    /// <summary>
    /// The kernel filter left this event's record out (a marker stands in its place): the
    /// user-space filter would drop the event too, so it goes here, before any /proc read.
    /// </summary>
    private bool DropFiltered(bool filtered)
    {
        if (filtered)
            _filtered.CountDropped();
        return filtered;
    }

    /// <summary>Connector events dropped because the kernel filter left their record out.</summary>
    internal long FilteredOut
    {
        get
        {
            lock (_gate)
                return _filtered.Dropped;
        }
    }

    private void ExpireLocked(long nowNs)
    {
        if (_next is null)
        {
            return;
        }
        while (_arrival.TryPeek(out Pending? p))
        {
            if (p.Done)
            {
                _arrival.Dequeue();
                continue;
            }
            long at = (long)p.Record.KernelTimeNs;
            bool overtaken = _connectorHighWaterNs - at > OrphanAfterConnectorNs;
            bool old = nowNs - at > OrphanAfterNs;
            if (!overtaken && !old)
            {
                return;
            }
            EmitOrphan(p);
            _arrival.Dequeue();
        }
    }

    /// <summary>Emits <paramref name="p"/> as an exec of its own and forgets it (it stays in <see cref="_arrival"/> marked done).</summary>
    private void EmitOrphan(Pending p)
    {
        ExecRecord r = p.Record;
        p.Done = true;
        if (_byTgid.TryGetValue(r.Tgid, out List<Pending>? list))
        {
            list.Remove(p);
            if (list.Count == 0)
            {
                _byTgid.Remove(r.Tgid);
            }
        }
        RememberOrphan(r.Tgid, (long)r.KernelTimeNs);
        Interlocked.Increment(ref _orphans);
        long at = (long)r.KernelTimeNs;
        _next!.Post(new ExecEvent
        {
            KernelTimeNs = at,
            Timestamp = _clock.ToWallClock(at),
            Pid = r.Tgid,
            Tid = r.Tgid,
            Origin = EventOrigin.Ebpf,
            Capture = p.Capture,
            Process = ProcWatch.Tracking.ProcessAssembler.FromCapture(r.Tgid, p.Capture),
        });
    }

    private void RememberOrphan(int tgid, long ns)
    {
        if (_recentOrphans.Count >= RecentOrphanCapacity && _recentOrphanOrder.TryDequeue(out int oldest))
        {
            _recentOrphans.Remove(oldest);
        }
        _recentOrphans[tgid] = ns;
        _recentOrphanOrder.Enqueue(tgid);
    }

    private void TrimArrival()
    {
        while (_arrival.TryPeek(out Pending? p) && p.Done)
        {
            _arrival.Dequeue();
        }
    }

    private ProcessCapture Describe(ExecRecord r) => KernelCaptures.OfExec(r, _accounts);

    private sealed class Pending(ExecRecord record, ProcessCapture capture)
    {
        public ExecRecord Record { get; } = record;
        public ProcessCapture Capture { get; } = capture;
        public bool Done { get; set; }
    }
}
