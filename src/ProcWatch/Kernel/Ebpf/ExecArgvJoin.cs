using ProcWatch.Events;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Watching;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Joins the proc connector's exec events with the eBPF exec records, so that each exec
/// carries its exact argv (<see cref="ArgvSource.Ebpf"/>).
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
/// Thread-safe: records come from the ring reader, events from the connector thread.
/// </remarks>
internal sealed class ExecArgvJoin : IEventSink
{
    internal const long OrphanAfterConnectorNs = 250_000_000;
    internal const long OrphanAfterNs = 2_000_000_000;
    private const long DuplicateWindowNs = 10_000_000_000;
    private const int MaxPending = 64 * 1024;
    private const int RecentOrphanCapacity = 4096;

    private readonly Lock _gate = new();
    private readonly KernelClock _clock;
    private readonly Func<long> _monotonicNow;
    private readonly AccountNames? _accounts;
    private readonly Dictionary<int, List<Pending>> _byTgid = [];
    private readonly Queue<Pending> _arrival = new();
    private readonly Dictionary<int, long> _recentOrphans = [];
    private readonly Queue<int> _recentOrphanOrder = new();
    private IEventSink? _next;
    private WatcherStatistics? _statistics;
    private long _connectorHighWaterNs;
    private long _matched;
    private long _orphans;
    private long _unmatched;

    internal ExecArgvJoin(KernelClock? clock = null, AccountNames? accounts = null, Func<long>? monotonicNow = null)
    {
        _clock = clock ?? KernelClock.Shared;
        _accounts = accounts;
        _monotonicNow = monotonicNow ?? KernelClock.MonotonicNs;
    }

    /// <summary>Called (outside the join's lock) before an exec is matched: drains the ring into <see cref="OnRecord"/>.</summary>
    internal Action? BeforeExec { get; set; }

    /// <summary>Connector execs that got their eBPF argv.</summary>
    internal long Matched => Interlocked.Read(ref _matched);

    /// <summary>eBPF records emitted without a connector event.</summary>
    internal long Orphans => Interlocked.Read(ref _orphans);

    /// <summary>Connector execs without an eBPF record (argv left to /proc).</summary>
    internal long Unmatched => Interlocked.Read(ref _unmatched);

    /// <summary>Where joined events go. Records that arrive before are held.</summary>
    internal void Attach(IEventSink next, WatcherStatistics statistics)
    {
        lock (_gate)
        {
            _next = next;
            _statistics = statistics;
        }
    }

    /// <summary>A record from the ring (any thread).</summary>
    internal void OnRecord(ExecRecord record)
    {
        lock (_gate)
        {
            var pending = new Pending(record);
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
        lock (_gate)
        {
            Advance(processEvent.KernelTimeNs);
            _next!.Post(processEvent);
        }
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
            if (match >= 0)
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
                _next!.Post(exec with { Process = Describe(p.Record) });
                return;
            }
        }
        if (_recentOrphans.TryGetValue(exec.Pid, out long orphanNs) && orphanNs <= exec.KernelTimeNs && exec.KernelTimeNs - orphanNs < DuplicateWindowNs)
        {
            _recentOrphans.Remove(exec.Pid);
            _statistics?.OnDuplicate(ProcessEventKind.Exec); // the connector counted it; the orphan already was
            return; // already reported, with its argv, when it was orphaned
        }
        Interlocked.Increment(ref _unmatched);
        _next!.Post(exec);
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
        _statistics?.OnEvent(ProcessEventKind.Exec);
        _next!.Post(new ExecEvent
        {
            KernelTimeNs = at,
            Timestamp = _clock.ToWallClock(at),
            Pid = r.Tgid,
            Tid = r.Tgid,
            Origin = EventOrigin.Ebpf,
            Process = Describe(r),
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

    /// <summary>What the record says about the process; enrichment adds what /proc still has.</summary>
    private ProcessInfo Describe(ExecRecord r) => new()
    {
        Pid = r.Tgid,
        ParentPid = r.ParentTgid,
        Name = r.Comm,
        // The path as given to execve: absolute is the program; relative or /dev/fd/N is not a path to show.
        Executable = r.Filename.StartsWith('/') && !r.Filename.StartsWith("/dev/fd/", StringComparison.Ordinal) ? r.Filename : null,
        ExecutableSource = r.Filename.StartsWith('/') && !r.Filename.StartsWith("/dev/fd/", StringComparison.Ordinal) ? ExecutableSource.Execve : ExecutableSource.None,
        Args = r.Argv,
        ArgsTruncated = r.ArgvTruncated,
        ArgvSource = ArgvSource.Ebpf,
        User = new IdName(r.Uid, _accounts?.UserName(r.Uid)),
        Group = new IdName(r.Gid, _accounts?.GroupName(r.Gid)),
        EffectiveUser = r.Identity.Known ? new IdName(r.Identity.EffectiveUid, _accounts?.UserName(r.Identity.EffectiveUid)) : null,
        EffectiveGroup = r.Identity.Known ? new IdName(r.Identity.EffectiveGid, _accounts?.GroupName(r.Identity.EffectiveGid)) : null,
        LoginUid = r.Identity.LoginUid,
        CgroupId = r.Identity.Known && r.Identity.CgroupId != 0 ? r.Identity.CgroupId : null,
    };

    private sealed class Pending(ExecRecord record)
    {
        public ExecRecord Record { get; } = record;
        public bool Done { get; set; }
    }
}
