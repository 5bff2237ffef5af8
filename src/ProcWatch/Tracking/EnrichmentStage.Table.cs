using System.Globalization;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Tracking;

/// <summary>The process table: first sight from /proc, seeding at start, resync after a loss.</summary>
internal sealed partial class EnrichmentStage
{
    /// <summary>The table's entry, or at first sight one read from /proc (null when the process is gone).</summary>
    private ProcessEntry? Known(int pid)
    {
        ProcessEntry? entry = _table.Find(pid);
        if (entry is not null)
            return entry;
        if (OutsideTree(pid))
            return _table.Peek(pid);
        if (!_reader.TryRead(pid, null, false, readArgs: true, out ProcRead read))
            return null;
        ProcStat stat = read.Stat;
        entry = new ProcessEntry(pid, _assembler.BuildFromProc(pid, read, null, null, new ExecLineage(ParentOf(stat.ParentPid), null, null)))
        {
            StartTicks = stat.StartTimeTicks,
            StartExact = true,
            StartMonotonicNs = _boot.StartTicksToMonotonicNs(stat.StartTimeTicks),
            InTree = InTreeSeen(pid, stat.ParentPid, stat.StartTimeTicks, startExact: true),
        };
        _table.Add(entry);
        return entry;
    }

    /// <summary>
    /// A seeded entry (stat only) gets argv, executable, credentials when first needed: from
    /// /proc, or, when the process has lost them there (ended, a zombie) or
    /// <paramref name="ended"/> says it has, from the copy read just after the seed.
    /// </summary>
    private void LoadDetail(ProcessEntry entry, bool ended = false)
    {
        entry.NeedsDetail = false;
        ProcRead read = default;
        bool live = !ended && _reader.TryRead(entry.Pid, entry.StartTicks, entry.StartExact, readArgs: true, out read);
        if (live && (read.Args is not null || read.Executable is not null))
            _seedDetails?.Forget(entry.Pid);
        else if (_seedDetails is not null && _seedDetails.TryTake(entry.Pid, entry.StartTicks, out ProcRead kept))
            read = live ? read with { Args = kept.Args, Executable = kept.Executable, ExecutableDeleted = kept.ExecutableDeleted, ExecutableTooLong = kept.ExecutableTooLong, WorkingDirectory = read.WorkingDirectory ?? kept.WorkingDirectory } : kept;
        else if (!live)
            return;
        ProcessInfo detailed = _assembler.BuildFromProc(entry.Pid, read, null, null, new ExecLineage(ParentOf(read.Stat.ParentPid), null, null));
        // A uid/gid event since the seed is newer than either read.
        ProcessInfo seen = entry.Info;
        entry.Update(detailed with
        {
            User = seen.User ?? detailed.User, EffectiveUser = seen.EffectiveUser ?? detailed.EffectiveUser,
            Group = seen.Group ?? detailed.Group, EffectiveGroup = seen.EffectiveGroup ?? detailed.EffectiveGroup,
        });
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
        if (_tree is not null)
        {
            foreach (int pid in _table.Pids())
            {
                ProcessEntry entry = _table.Peek(pid)!;
                entry.InTree = InTreeByAncestry(pid);
                if (entry.InTree && !_tree.IsRoot(pid))
                    _tree.Add(pid, entry.StartTicks, entry.StartExact);
            }
        }
        // The rest of what /proc says of them, read now (in the background) for those that end
        // before their first event is handled; outside the watched tree nobody needs it.
        var detailed = new List<(int Pid, ulong StartTicks)>();
        foreach (int pid in _table.Pids())
        {
            ProcessEntry entry = _table.Peek(pid)!;
            if (entry.NeedsDetail && entry.InTree && pid != Environment.ProcessId)
                detailed.Add((pid, entry.StartTicks));
        }
        _seedDetails = SeedDetails.Start(detailed, _options.IncludeEnvironment);
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
        _tree?.Prune(); // members' exits too
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
                entry.InTree = InTreeSeen(pid, stat.ParentPid, stat.StartTimeTicks, startExact: true);
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
}
