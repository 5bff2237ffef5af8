using ProcWatch.Events;
using ProcWatch.Filtering;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Watching;

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
internal sealed class EnrichmentStage : IEventStage
{
    private readonly EnrichmentOptions _options;
    private readonly ProcessFilter? _filter;
    private readonly ProcessReader _reader;
    private readonly ProcessAssembler _assembler;
    private readonly SystemBoot _boot;
    private readonly ProcessTable _table;
    private readonly ExecutableHasher? _hasher;
    private readonly AncestorChain _ancestors;
    private readonly Dictionary<int, long> _threadStarts = [];
    private readonly WatcherStatistics? _statistics;
    private long _lastResyncMs = long.MinValue;

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
        if (statistics is not null)
            _table.OnEvicted = statistics.OnTableEviction;
        Seed();
        // Runs the whole /proc reading path once (JIT, caches) so that the first exec is read fast.
        _reader.TryRead(Environment.ProcessId, null, false, readArgs: true, out _, out _);
    }

    /// <summary>Processes currently in the table.</summary>
    public int TableCount => _table.Count;

    /// <summary>Processes evicted from the table so far.</summary>
    public long TableEvictions => _table.Evictions;

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
            _ => OnOther(processEvent),
        };
        if (output is not null)
            next.Post(output);
    }

    // ---- event handlers -------------------------------------------------------------------

    private ForkEvent? OnFork(ForkEvent e)
    {
        if (!InTree(e.Pid, e.ParentPid))
        {
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
        if (e.Capture?.StartBootNs is { } kernelStart and not 0)
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
        ProcessInfo inherited = parent?.Info ?? new ProcessInfo { Pid = e.Pid };
        var info = inherited with
        {
            Pid = e.Pid,
            ParentPid = e.ParentPid,
            Start = e.Capture?.StartBootNs is not null ? _boot.BootNsToWallClock(startNs) : e.Timestamp,
            StartTimeTicks = ticks,
            StartBootNs = startNs,
            EntityId = _reader.EntityIdOfBootNs(e.Pid, startNs),
            Parent = parent?.ParentSummary() ?? new ParentInfo { Pid = e.ParentPid },
            Ancestors = null, // the parent's chain is not the child's
        };
        ProcessEntry? early = _table.Peek(e.Pid);
        if (early is not null && early.Info.ParentPid == e.ParentPid
            && PidReuseGuard.IsSameProcess(early.StartTicks, derived, expectedIsExact: false))
        {
            // The child ran on another CPU and exec'd before the parent's fork event was sent:
            // the table already holds the newer program; the fork still describes the copy.
            return Selected(early) ? e with { Process = info with { EntityId = early.Info.EntityId, StartTimeTicks = early.StartTicks, StartBootNs = early.Info.StartBootNs } } : null;
        }
        var child = new ProcessEntry(e.Pid, info)
        {
            StartTicks = ticks,
            StartExact = exact,
            StartMonotonicNs = e.Capture?.StartBootNs is not null ? _boot.BootNsToMonotonicNs(startNs) : e.KernelTimeNs,
            Matches = parent?.Matches,
        };
        _table.Add(child);
        return Selected(child) ? e with { Process = info } : null;
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

    private ExecEvent? OnExec(ExecEvent e)
    {
        ProcessEntry? entry = _table.Find(e.Pid);
        if (entry is not null && !entry.InTree)
            return null; // outside the watched tree: skip the /proc reads
        if (e.Capture is { HasExecContext: true } kernel)
            return OnKernelExec(e, kernel, entry);
        if (entry is null && OutsideTree(e.Pid))
            return null;
        // The capture, or (the procfs backend's scan, maybe from a process gone by now) what the source put in Process.
        ProcessCapture? captured = e.Capture ?? ScanCapture(e.Process);
        bool haveArgs = captured is { ArgvSource: ArgvSource.Ebpf or ArgvSource.Procfs, Args: not null };
        ProcessInfo? legacy = e.Capture is null ? e.Process : null;

        ProcessInfo info;
        ProcessInfo? known = entry?.Info;
        if (_reader.TryRead(e.Pid, entry?.StartTicks, entry?.StartExact ?? false, readArgs: !haveArgs, out ProcessInfo read, out ProcStat stat, CredentialsOf(e)))
        {
            read = read with
            {
                Parent = ParentOf(stat.ParentPid),
                Ancestors = _ancestors.Of(stat.ParentPid, captured?.AncestorPids),
                HashStatus = _hasher is null ? null : HashStatuses.Unavailable, // no kernel record of the file
                // Start and identity come from the table when it saw the fork (same process, exec keeps them).
                Start = known?.Start ?? read.Start,
                StartTimeTicks = known?.StartTimeTicks ?? read.StartTimeTicks,
                StartBootNs = known?.StartBootNs ?? read.StartBootNs,
                EntityId = known?.EntityId ?? read.EntityId,
            };
            info = ProcessAssembler.MergeExec(e.Pid, read, captured, known);
            if (entry is null)
            {
                entry = new ProcessEntry(e.Pid, info)
                {
                    StartTicks = stat.StartTimeTicks,
                    StartExact = true,
                    StartMonotonicNs = _boot.StartTicksToMonotonicNs(stat.StartTimeTicks),
                    InTree = InTree(e.Pid, stat.ParentPid),
                };
                _table.Add(entry);
                if (!entry.InTree)
                    return null;
            }
        }
        else
        {
            // Lost the race (the process is gone, or the pid is already another process's).
            info = ProcessAssembler.MergeExec(e.Pid, null, captured, known);
            if (legacy is not null)
                info = info with { Start = legacy.Start ?? info.Start, StartTimeTicks = legacy.StartTimeTicks ?? info.StartTimeTicks, EntityId = legacy.EntityId ?? info.EntityId, Parent = legacy.Parent ?? info.Parent };
            // eBPF's cgroup id still names the cgroup the process exec'd in, if that path is known.
            if (info.CgroupPath is null && info.CgroupId is { } cgroupId && _reader.CachedCgroupPath(cgroupId) is { } cgroupPath)
                info = info with { CgroupPath = cgroupPath, ContainerId = ContainerId.FromCgroupPath(cgroupPath) };
            if (entry is null && _filter is { SelectsTree: true })
                return null; // cannot place it in the tree
        }
        if (entry is not null)
        {
            entry.Update(info);
            entry.NeedsDetail = false;
        }
        if (entry is null)
            return PassesProcess(info) ? e with { Process = info } : null;
        return Selected(entry) ? e with { Process = info } : null;
    }

    /// <summary>An exec the kernel described whole: no /proc reads but for what it left unknown.</summary>
    private ExecEvent? OnKernelExec(ExecEvent e, ProcessCapture kernel, ProcessEntry? entry)
    {
        int parentPid = kernel.ParentPid ?? entry?.Info.ParentPid ?? 0;
        if (entry is null && !InTree(e.Pid, parentPid))
        {
            if (_filter is { SelectsTree: true })
            {
                var outside = new ProcessEntry(e.Pid, new ProcessInfo { Pid = e.Pid, ParentPid = parentPid }) { InTree = false };
                _table.Add(outside);
                return null;
            }
        }
        ProcessInfo info = _assembler.AssembleKernelExec(e.Pid, kernel, entry?.Info) with { Parent = ParentOf(parentPid), Ancestors = _ancestors.Of(parentPid, kernel.AncestorPids) };
        ulong startNs = info.StartBootNs ?? 0;
        if (entry is null || entry.StartTicks != info.StartTimeTicks)
        {
            // First sight (its fork came before procwatch, or was lost), or the table's entry was another process on this pid.
            entry = new ProcessEntry(e.Pid, info)
            {
                StartTicks = info.StartTimeTicks ?? 0,
                StartExact = startNs != 0,
                StartMonotonicNs = startNs != 0 ? _boot.BootNsToMonotonicNs(startNs) : e.KernelTimeNs,
                InTree = InTree(e.Pid, parentPid),
            };
            _table.Add(entry);
        }
        else
        {
            entry.StartExact = true;
            entry.Update(info);
        }
        entry.NeedsDetail = false;
        return Selected(entry) ? e with { Process = info } : null;
    }

    /// <summary>The credentials a capture already has, so that /proc/PID/status need not be read.</summary>
    private static ProcessInfo? CredentialsOf(ExecEvent e) => e.Capture is { Origin: CaptureOrigin.Kernel } c
        ? new ProcessInfo { Pid = e.Pid, ArgvSource = ArgvSource.Ebpf, User = c.User, EffectiveUser = c.EffectiveUser, Group = c.Group, EffectiveGroup = c.EffectiveGroup, LoginUid = c.LoginUid, CgroupId = c.CgroupId is 0 ? null : c.CgroupId }
        : e.Process;

    /// <summary>The procfs backend's view (a ProcessInfo it read at its scan) as a capture.</summary>
    private static ProcessCapture? ScanCapture(ProcessInfo? p) => p is null ? null : new ProcessCapture
    {
        Origin = CaptureOrigin.Scan,
        ParentPid = p.ParentPid,
        Name = p.Name,
        Executable = p.Executable,
        ExecutableSource = p.ExecutableSource,
        ExecutableDeleted = p.ExecutableDeleted,
        Args = p.Args,
        ArgsTruncated = p.ArgsTruncated,
        ArgsCount = p.ArgsCount,
        ArgvSource = p.ArgvSource,
        User = p.User,
        Group = p.Group,
        SessionId = p.SessionId,
        ProcessGroupId = p.ProcessGroupId,
    };

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

        if (e.Capture is { Origin: CaptureOrigin.Kernel } end)
            e = e with { UserCpu = end.UserCpu, SystemCpu = end.SystemCpu, PeakRssBytes = end.PeakRssBytes };
        ProcessEntry? entry = _table.Remove(e.Pid);
        if (entry is null)
        {
            // Older than the watcher and evicted, or never seen: the zombie's stat still names it.
            if (!ProcStat.TryRead(e.Pid, out ProcStat stat))
                return PassesUnknown(e.Pid, e.ParentPid) ? e : null;
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
            if (_filter is not null && (!InTree(e.Pid, e.ParentPid) || !PassesProcess(info)))
                return null;
            return e with { Process = info, Duration = e.Duration ?? Elapsed(_boot.StartTicksToMonotonicNs(stat.StartTimeTicks), e.KernelTimeNs) };
        }
        if (entry.Info.Name is null && ProcStat.TryRead(e.Pid, out ProcStat zombie)
            && PidReuseGuard.IsSameProcess(zombie.StartTimeTicks, entry.StartTicks, entry.StartExact))
        {
            entry.Update(entry.Info with { Name = zombie.Comm });
        }
        if (!Selected(entry))
            return null;
        ProcessInfo final = entry.Info;
        if (e.ParentPid > 0 && final.Parent?.Pid != e.ParentPid)
            final = final with { ParentPid = e.ParentPid, Parent = ParentOf(e.ParentPid) }; // reparented (orphan)
        // A source that knows the real start (procfs) has set the duration already.
        return e with { Process = final, Duration = e.Duration ?? Elapsed(entry.StartMonotonicNs, e.KernelTimeNs) };
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
        string? old = entry.Info.Name;
        entry.Update(entry.Info with { Name = e.Comm });
        return Selected(entry) ? e with { OldComm = old ?? e.OldComm, Process = entry.Info } : null;
    }

    private UidEvent? OnUid(UidEvent e)
    {
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null)
            return PassesUnknown(e.Pid, null) ? e : null;
        entry.Update(entry.Info with { User = _reader.UserOf(e.RealUid), EffectiveUser = _reader.UserOf(e.EffectiveUid) });
        return Selected(entry) ? e with { Process = entry.Info } : null;
    }

    private GidEvent? OnGid(GidEvent e)
    {
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null)
            return PassesUnknown(e.Pid, null) ? e : null;
        entry.Update(entry.Info with { Group = _reader.GroupOf(e.RealGid), EffectiveGroup = _reader.GroupOf(e.EffectiveGid) });
        return Selected(entry) ? e with { Process = entry.Info } : null;
    }

    private SidEvent? OnSid(SidEvent e)
    {
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null)
            return PassesUnknown(e.Pid, null) ? e : null;
        // setsid: a new session and process group, both led by the caller; no terminal.
        entry.Update(entry.Info with { SessionId = e.Pid, ProcessGroupId = e.Pid, Tty = null });
        return Selected(entry) ? e with { Process = entry.Info } : null;
    }

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

    private ProcessEvent? OnOther(ProcessEvent e)
    {
        if (e.Pid == 0)
            return e;
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null)
            return PassesUnknown(e.Pid, null) ? e : null;
        return Selected(entry) ? e with { Process = entry.Info } : null;
    }

    // ---- the table ------------------------------------------------------------------------

    /// <summary>The table's entry, or at first sight one read from /proc (null when the process is gone).</summary>
    private ProcessEntry? Known(int pid)
    {
        ProcessEntry? entry = _table.Find(pid);
        if (entry is not null)
            return entry;
        if (OutsideTree(pid))
            return _table.Peek(pid);
        if (!_reader.TryRead(pid, null, false, readArgs: true, out ProcessInfo info, out ProcStat stat))
            return null;
        entry = new ProcessEntry(pid, info with { Parent = ParentOf(stat.ParentPid) })
        {
            StartTicks = stat.StartTimeTicks,
            StartExact = true,
            StartMonotonicNs = _boot.StartTicksToMonotonicNs(stat.StartTimeTicks),
            InTree = InTree(pid, stat.ParentPid),
        };
        _table.Add(entry);
        return entry;
    }

    /// <summary>
    /// With a tree filter, a process first seen (its exec came before its fork event, or it
    /// was evicted) is placed by its stat alone; outside the tree it is remembered as such,
    /// without reading the rest of /proc.
    /// </summary>
    private bool OutsideTree(int pid)
    {
        if (_filter is not { SelectsTree: true })
            return false;
        if (!ProcStat.TryRead(pid, out ProcStat stat))
            return false; // gone: the caller's read fails too
        if (InTree(pid, stat.ParentPid))
            return false;
        ProcessEntry entry = SeedEntry(stat);
        entry.InTree = false;
        entry.NeedsDetail = false;
        _table.Add(entry);
        return true;
    }

    /// <summary>A seeded entry (stat only) gets argv, executable, credentials when first needed.</summary>
    private void LoadDetail(ProcessEntry entry)
    {
        entry.NeedsDetail = false;
        if (_reader.TryRead(entry.Pid, entry.StartTicks, entry.StartExact, readArgs: true, out ProcessInfo info, out ProcStat stat))
            entry.Update(info with { Parent = ParentOf(stat.ParentPid) });
    }

    private ParentInfo? ParentOf(int parentPid)
    {
        if (parentPid <= 0)
            return null;
        ProcessEntry? parent = _table.Peek(parentPid);
        if (parent is null)
            return new ParentInfo { Pid = parentPid };
        if (parent.NeedsDetail)
            LoadDetail(parent);
        return parent.ParentSummary();
    }

    private static TimeSpan? Elapsed(long startNs, long endNs) =>
        startNs > 0 && endNs >= startNs ? TimeSpan.FromTicks((endNs - startNs) / 100) : null;

    /// <summary>Every process in /proc, from stat alone (cheap: ready to receive quickly); details on demand.</summary>
    private void Seed()
    {
        foreach (int pid in ProcPids())
        {
            if (ProcStat.TryRead(pid, out ProcStat stat))
                _table.Add(SeedEntry(stat));
        }
        if (_filter is { SelectsTree: true })
        {
            foreach (int pid in _table.Pids())
            {
                ProcessEntry entry = _table.Peek(pid)!;
                entry.InTree = InTreeByAncestry(pid);
            }
        }
    }

    private ProcessEntry SeedEntry(in ProcStat stat) =>
        new(stat.Pid, new ProcessInfo
        {
            Pid = stat.Pid,
            ParentPid = stat.ParentPid,
            Name = stat.Comm,
            IsKernelThread = stat.IsKernelThread,
            SessionId = stat.SessionId,
            ProcessGroupId = stat.ProcessGroupId,
            Tty = TtyNames.FromTtyNr(stat.TtyNr),
            Start = _boot.StartTicksToWallClock(stat.StartTimeTicks),
            StartTimeTicks = stat.StartTimeTicks,
            StartBootNs = _boot.StartTicksToBootNs(stat.StartTimeTicks),
            EntityId = _reader.EntityId(stat.Pid, stat.StartTimeTicks),
        })
        {
            StartTicks = stat.StartTimeTicks,
            StartExact = true,
            StartMonotonicNs = _boot.StartTicksToMonotonicNs(stat.StartTimeTicks),
            NeedsDetail = !stat.IsKernelThread,
        };

    /// <summary>After a loss: forget processes that are gone (or whose pid was reused), learn new ones.</summary>
    private void Resync()
    {
        _threadStarts.Clear(); // thread exits may have been lost too; the map must not fill up with ghosts
        foreach (int pid in _table.Pids())
        {
            ProcessEntry entry = _table.Peek(pid)!;
            if (!ProcStat.TryRead(pid, out ProcStat stat) || !PidReuseGuard.IsSameProcess(stat.StartTimeTicks, entry.StartTicks, entry.StartExact))
                _table.Remove(pid);
        }
        foreach (int pid in ProcPids())
        {
            if (_table.Peek(pid) is null && ProcStat.TryRead(pid, out ProcStat stat))
            {
                ProcessEntry entry = SeedEntry(stat);
                entry.InTree = InTree(pid, stat.ParentPid);
                _table.Add(entry);
            }
        }
    }

    private static IEnumerable<int> ProcPids()
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir.AsSpan()), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid))
                yield return pid;
        }
    }

    // ---- filtering ------------------------------------------------------------------------

    private bool InTree(int pid, int parentPid)
    {
        if (_filter is not { SelectsTree: true } f)
            return true;
        return f.IsRoot(pid) || f.DescendantsOf == parentPid || (_table.Peek(parentPid)?.InTree ?? false);
    }

    private bool InTreeByAncestry(int pid)
    {
        var f = _filter!;
        for (int depth = 0; depth < 4096 && pid > 0; depth++)
        {
            if (f.IsRoot(pid))
                return true;
            ProcessEntry? entry = _table.Peek(pid);
            if (entry?.Info.ParentPid is not { } parent)
                return false;
            if (f.DescendantsOf == parent)
                return true;
            pid = parent;
        }
        return false;
    }

    private bool Selected(ProcessEntry entry)
    {
        if (_filter is null)
            return true;
        if (!entry.InTree)
            return false;
        if (!_filter.SelectsProcesses)
            return true;
        if (entry.NeedsDetail)
            LoadDetail(entry);
        return entry.Matches ??= _filter.MatchesProcess(entry.Info);
    }

    private bool PassesProcess(ProcessInfo info) => _filter is not { SelectsProcesses: true } f || f.MatchesProcess(info);

    /// <summary>An event whose process /proc no longer knows: it passes only when no filter needs to know it.</summary>
    private bool PassesUnknown(int pid, int? parentPid)
    {
        if (_filter is null)
            return true;
        if (_filter.SelectsProcesses)
            return false;
        if (!_filter.SelectsTree)
            return true;
        return parentPid is { } ppid && InTree(pid, ppid);
    }
}
