using ProcWatch.Containers;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Filtering;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Tracking;

/// <summary>
/// Keeps the process table current and attaches a <see cref="ProcessInfo"/> to every event:
/// at exec from /proc, read at once and checked against the pid's start time (a lost race
/// gives null fields and <see cref="ArgvSource.None"/>, never another process's data); at
/// fork inherited from the parent; otherwise from the table. Argv already captured by an
/// earlier stage (<see cref="ArgvSource.Ebpf"/>) is kept and not re-read. Applies the
/// <see cref="ProcessFilter"/>: the process tree before any /proc read, user and pattern after.
/// Runs on the pipeline's thread, one event at a time.
/// </summary>
internal sealed partial class EnrichmentStage : IEventStage
{
    private readonly EnrichmentOptions _options;
    private readonly ProcessFilter? _filter;
    private readonly ProcessReader _reader;
    private readonly ProcessAssembler _assembler;
    private readonly SystemBoot _boot;
    private readonly ProcessTable _table;
    private readonly ExecutableHasher? _hasher;
    private readonly AncestorChain _ancestors;
    private readonly TreeMembership? _tree; // with a tree filter only
    private SeedDetails? _seedDetails; // set by Seed
    private readonly Dictionary<int, long> _threadStarts = [];
    private readonly BoundedSet<string> _owedFollowUps = new(4096); // entity ids of reported execs that said "pending"
    private readonly WatcherStatistics? _statistics;
    private readonly ContainerResolver? _containers;
    private long _lastResyncMs = long.MinValue;
    private long _lastTreeReportMs = long.MinValue;

    public EnrichmentStage(EnrichmentOptions? options = null, WatcherStatistics? statistics = null, ProcessReader? reader = null)
    {
        _options = options ?? new EnrichmentOptions();
        _filter = _options.Filter;
        _statistics = statistics;
        _reader = reader ?? new ProcessReader(_options.IncludeEnvironment);
        _boot = _reader.Boot;
        _hasher = _options.Hash.Enabled ? new ExecutableHasher(_options.Hash) : null;
        _assembler = new ProcessAssembler(_reader, _hasher);
        _table = new ProcessTable(_options.TableCapacity);
        _ancestors = new AncestorChain(_table, ParentOf, _options.AncestorDepth);
        _tree = _filter is { SelectsTree: true } ? new TreeMembership(_filter, _options.TreeCapacity) : null;
        _containers = _options.Containers.Enabled ? new ContainerResolver(_options.Containers) : null;
        if (statistics is not null)
            _table.OnEvicted = statistics.OnTableEviction;
        Seed();
        // Runs the whole /proc reading path once (JIT, caches) so that the first exec is read fast.
        _reader.TryRead(Environment.ProcessId, null, false, readArgs: true, out _);
    }

    /// <summary>Processes currently in the table.</summary>
    public int TableCount => _table.Count;

    /// <summary>Processes evicted from the table so far.</summary>
    public long TableEvictions => _table.Evictions;

    /// <summary>The watched tree's members; null without a tree filter.</summary>
    internal TreeMembership? Tree => _tree;

    /// <summary>The executable hasher; null with hashing off.</summary>
    internal ExecutableHasher? Hasher => _hasher;

    public void Process(ProcessEvent processEvent, IEventSink next)
    {
        ProcessEvent? output = processEvent switch
        {
            ForkEvent { IsThread: false } fork => OnFork(fork),
            ForkEvent thread => OnClone(thread),
            ExecEvent exec => OnExec(exec),
            ExitEvent exit => OnExit(exit),
            CommEvent comm => OnComm(comm),
            UidEvent uid => OnUid(uid),
            GidEvent gid => OnGid(gid),
            SidEvent sid => OnSid(sid),
            LostEvent lost => OnLost(lost),
            DeniedEvent denied => OnDenied(denied),
            ExecFailedEvent failed => OnExecFailed(failed),
            HashEvent hash => OnHash(hash),
            _ => OnOther(processEvent),
        };
        if (_tree is { Unreported: > 0 })
            ReportTreeUncertainty(processEvent, next);
        if (output is not null)
        {
            if (output is ExecEvent { Process: { } p } && HasPending(p) && p.EntityId is { } entity)
                _owedFollowUps.Add(entity);
            next.Post(output);
        }
    }

    private static bool HasPending(ProcessInfo p) =>
        p.HashStatus == HashStatuses.Pending || p.Script?.File?.HashStatus == HashStatuses.Pending || p.LoadedProgram?.HashStatus == HashStatuses.Pending;

    // ---- event handlers -------------------------------------------------------------------

    private ForkEvent? OnFork(ForkEvent e)
    {
        // The creator (the caller of fork/clone) only the kernel's record knows: it is not the
        // parent after clone(CLONE_PARENT), and it is the one that decides.
        if (!InTreeAtFork(e.Pid, e.ParentPid, e.Record is ForkRecord { CreatorTgid: var creator } ? creator : 0))
        {
            _tree?.Remove(e.Pid); // a reused pid: whoever held it before is gone
            // Outside the watched tree: remember only that (no /proc reads), so its exec is skipped cheaply.
            ulong start = _boot.MonotonicNsToStartTicks(e.KernelTimeNs);
            _table.Add(new ProcessEntry(e.Pid, new ProcessInfo { Pid = e.Pid, ParentPid = e.ParentPid })
            {
                StartTicks = start, StartMonotonicNs = e.KernelTimeNs, InTree = false,
            });
            return null;
        }
        ProcessEntry? parent = Known(e.ParentPid);
        if (parent is { NeedsDetail: true })
            LoadDetail(parent);

        // The child's start: exact from the kernel's fork record; else from its stat (cheap: one
        // file), checked against the fork's timestamp; if it is already gone, or the pid
        // already belongs to someone else, derived from the fork's timestamp.
        // The procfs backend reports a fork at its scan, later than the fork: it sends the exact start.
        ulong derived = e.Process?.StartTimeTicks ?? _boot.MonotonicNsToStartTicks(e.KernelTimeNs);
        ulong ticks = derived;
        bool exact = false;
        ulong startNs;
        bool kernelStartKnown = e.Record is ForkRecord { StartBootNs: not 0 };
        if (e.Record is ForkRecord { StartBootNs: var kernelStart and not 0 })
        {
            startNs = kernelStart;
            ticks = _boot.BootNsToStartTicks(kernelStart);
            exact = true;
        }
        else
        {
            if (ProcStat.TryRead(e.Pid, out ProcStat stat) && PidReuseGuard.IsSameProcess(stat.StartTimeTicks, derived, expectedIsExact: false))
            {
                ticks = stat.StartTimeTicks;
                exact = true;
            }
            startNs = _boot.StartTicksToBootNs(ticks);
        }
        ProcessInfo inherited = WithIds(parent?.Info ?? new ProcessInfo { Pid = e.Pid }, (e.Record as ForkRecord)?.Ids);
        var info = inherited with
        {
            Pid = e.Pid,
            ParentPid = e.ParentPid,
            Start = kernelStartKnown ? _boot.BootNsToWallClock(startNs) : e.Timestamp,
            StartTimeTicks = ticks,
            StartBootNs = startNs,
            EntityId = _reader.EntityIdOfBootNs(e.Pid, startNs),
            Parent = parent?.ParentSummary() ?? new ParentInfo { Pid = e.ParentPid },
            Ancestors = null, // the parent's chain is not the child's
            ContainerEntry = false, // an entry is the exec that came in, not its copies
        };
        _tree?.Add(e.Pid, ticks, exact);
        ProcessEntry? early = _table.Peek(e.Pid);
        if (early is not null && early.Info.ParentPid == e.ParentPid
            && PidReuseGuard.IsSameProcess(early.StartTicks, derived, expectedIsExact: false))
        {
            early.InTree = true; // placed at its exec by its parent alone; its creator is in the tree
            // The child ran on another CPU and exec'd before the parent's fork event was sent:
            // the table already holds the newer program; the fork still describes the copy.
            return Selected(early) ? e with { Process = info with { EntityId = early.Info.EntityId, StartTimeTicks = early.StartTicks, StartBootNs = early.Info.StartBootNs } } : null;
        }
        var child = new ProcessEntry(e.Pid, info)
        {
            StartTicks = ticks,
            StartExact = exact,
            StartMonotonicNs = kernelStartKnown ? _boot.BootNsToMonotonicNs(startNs) : e.KernelTimeNs,
            Matches = parent is not null && ReferenceEquals(inherited, parent.Info) ? parent.Matches : null, // the parent's verdict, unless the record's credentials differ
        };
        _table.Add(child);
        return Selected(child) ? e with { Process = child.Info } : null;
    }

    private ForkEvent? OnClone(ForkEvent e)
    {
        if (_threadStarts.Count < _options.TableCapacity)
            _threadStarts[e.Tid] = e.KernelTimeNs;
        if (_filter is { IncludeThreads: false })
            return null;
        ProcessEntry? process = Known(e.Pid);
        if (process is null)
            return PassesUnknown(e.Pid, e.ParentPid) ? e : null;
        return Selected(process) ? e with { Process = process.Info } : null;
    }

    private ExitEvent? OnExit(ExitEvent e)
    {
        if (e.IsThread)
        {
            TimeSpan? threadDuration = _threadStarts.Remove(e.Tid, out long started) ? Elapsed(started, e.KernelTimeNs) : null;
            if (_filter is { IncludeThreads: false })
                return null;
            ProcessEntry? owner = _table.Find(e.Pid);
            if (owner is null)
                return PassesUnknown(e.Pid, e.ParentPid) ? e with { Duration = threadDuration } : null;
            return Selected(owner) ? e with { Process = owner.Info, Duration = threadDuration } : null;
        }

        ProcessEntry? entry = _table.Remove(e.Pid);
        bool member = _tree is not null && _tree.Contains(e.Pid);
        _tree?.Remove(e.Pid); // its children stay members: membership is each process's own
        if (entry is null)
        {
            _seedDetails?.Forget(e.Pid);
            // Older than the watcher and evicted, or never seen: the zombie's stat still names it.
            if (!ProcStat.TryRead(e.Pid, out ProcStat stat))
                return (member && _filter is not { SelectsProcesses: true }) || PassesUnknown(e.Pid, e.ParentPid) ? e : null;
            var info = new ProcessInfo
            {
                Pid = e.Pid,
                ParentPid = e.ParentPid,
                Name = stat.Comm,
                IsKernelThread = stat.IsKernelThread,
                Start = _boot.StartTicksToWallClock(stat.StartTimeTicks),
                StartTimeTicks = stat.StartTimeTicks,
                StartBootNs = _boot.StartTicksToBootNs(stat.StartTimeTicks),
                EntityId = _reader.EntityId(e.Pid, stat.StartTimeTicks),
                Parent = ParentOf(e.ParentPid),
            };
            info = WithIds(info, (e.Record as ExitRecord)?.Ids);
            if (_filter is not null && (!(member || InTreeAtFork(e.Pid, e.ParentPid, 0)) || !PassesProcess(info)))
                return null;
            return e with { Process = info, Duration = e.Duration ?? Elapsed(_boot.StartTicksToMonotonicNs(stat.StartTimeTicks), e.KernelTimeNs) };
        }
        if (!entry.InTree)
            return null; // outside the watched tree: no zombie read for a name nobody sees
        if (entry.NeedsDetail)
            LoadDetail(entry, ended: true); // older than the watcher, never detailed: the copy read at start, no /proc read
        if (entry.Info.Name is null && ProcStat.TryRead(e.Pid, out ProcStat zombie)
            && PidReuseGuard.IsSameProcess(zombie.StartTimeTicks, entry.StartTicks, entry.StartExact))
        {
            entry.Update(entry.Info with { Name = zombie.Comm });
        }
        TakeIds(entry, (e.Record as ExitRecord)?.Ids);
        if (!Selected(entry))
            return null;
        ProcessInfo final = entry.Info;
        if (e.ParentPid > 0 && final.Parent?.Pid != e.ParentPid)
            final = final with { ParentPid = e.ParentPid, Parent = ParentOf(e.ParentPid) }; // reparented (orphan)
        // A source that knows the real start (procfs) has set the duration already. The ring's
        // exit record has no parent: the table's is the parent it had at fork or exec.
        return e with
        {
            Process = final,
            Duration = e.Duration ?? Elapsed(entry.StartMonotonicNs, e.KernelTimeNs),
            ParentPid = e.ParentPid > 0 ? e.ParentPid : final.ParentPid ?? 0,
            ParentTid = e.ParentTid > 0 ? e.ParentTid : final.ParentPid ?? 0,
        };
    }

    private CommEvent? OnComm(CommEvent e)
    {
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null)
            return PassesUnknown(e.Pid, null) ? e : null;
        if (e.Tid != e.Pid)
        {
            if (_filter is { IncludeThreads: false })
                return null;
            return Selected(entry) ? e with { Process = entry.Info } : null;
        }
        if (IsBeforeLastExec(entry, e))
            return Selected(entry) ? e with { Process = entry.Info } : null;
        string? old = entry.Info.Name;
        entry.Update(entry.Info with { Name = e.Comm });
        return Selected(entry) ? e with { OldComm = old ?? e.OldComm, Process = entry.Info } : null;
    }

    private UidEvent? OnUid(UidEvent e)
    {
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null)
            return PassesUnknown(e.Pid, null) ? e : null;
        if (!IsBeforeLastExec(entry, e))
            entry.Update(entry.Info with { User = _reader.UserOf(e.RealUid), EffectiveUser = _reader.UserOf(e.EffectiveUid) });
        return Selected(entry) ? e with { Process = entry.Info } : null;
    }

    private GidEvent? OnGid(GidEvent e)
    {
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null)
            return PassesUnknown(e.Pid, null) ? e : null;
        if (!IsBeforeLastExec(entry, e))
            entry.Update(entry.Info with { Group = _reader.GroupOf(e.RealGid), EffectiveGroup = _reader.GroupOf(e.EffectiveGid) });
        return Selected(entry) ? e with { Process = entry.Info } : null;
    }

    private SidEvent? OnSid(SidEvent e)
    {
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null)
            return PassesUnknown(e.Pid, null) ? e : null;
        // setsid: a new session and process group, both led by the caller; no terminal.
        if (!IsBeforeLastExec(entry, e))
            entry.Update(entry.Info with { SessionId = e.Pid, ProcessGroupId = e.Pid, Tty = null });
        return Selected(entry) ? e with { Process = entry.Info } : null;
    }

    /// <summary>
    /// A connector event older than the exec record that last set the entry: with eBPF the two
    /// come from different buffers, and the connector's may be posted after a later exec's
    /// record. The exec record already holds the state after it (comm, credentials, session),
    /// so the older change must not overwrite it; the event is still reported.
    /// </summary>
    private static bool IsBeforeLastExec(ProcessEntry entry, ProcessEvent e) => e.KernelTimeNs < entry.LastExecNs;

    private LostEvent OnLost(LostEvent e)
    {
        long now = Environment.TickCount64;
        if (_lastResyncMs == long.MinValue || now - _lastResyncMs >= (long)_options.ResyncInterval.TotalMilliseconds)
        {
            _lastResyncMs = now;
            Resync();
        }
        return e;
    }

    /// <summary>
    /// A hash follow-up (posted by the hasher's worker): the process as the table knows it,
    /// when it is still the exec's (same entity id), with the hash filled in, also for its
    /// later events. Dropped when the filter dropped the process.
    /// </summary>
    private HashEvent? OnHash(HashEvent e)
    {
        ProcessInfo waiting = e.Process!;
        // Only the follow-up of an exec that was reported (it passed the filter) is: the
        // process may be gone from the table by now.
        if (waiting.EntityId is not { } entity || !_owedFollowUps.Contains(entity))
            return null;
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null || entry.Info.EntityId != entity)
            return e with { Process = HashFollowUps.Apply(waiting, e) }; // gone: pid, entity id and the hash
        entry.Info = HashFollowUps.Apply(entry.Info, e);
        return e with { Process = entry.Info };
    }

    private ProcessEvent? OnOther(ProcessEvent e)
    {
        if (e.Pid == 0)
            return e;
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null)
            return PassesUnknown(e.Pid, null) ? e : null;
        return Selected(entry) ? e with { Process = entry.Info } : null;
    }
}
