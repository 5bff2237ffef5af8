using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Tracking;

/// <summary>Exec: the one merge of a capture with the table and /proc (ProcessAssembler), kernel capture first.</summary>
internal sealed partial class EnrichmentStage
{
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
        // A pinned scan (procfs) vouches for what /proc says only while its process still holds
        // the pid after the read: a start time known to the tick cannot tell a same-tick reuse.
        if (_reader.TryRead(e.Pid, entry?.StartTicks, entry?.StartExact ?? false, readArgs: !haveArgs, out ProcessInfo read, out ProcStat stat, CredentialsOf(e))
            && e.Pin?.HasExited() != true)
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
            OnContainerExec(entry, info.ParentPid ?? 0, kernelEntry: null);
        }
        if (entry is null)
        {
            info = WithContainer(info);
            return PassesProcess(info) ? e with { Process = info } : null;
        }
        return Selected(entry) ? e with { Process = entry.Info } : null;
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
        OnContainerExec(entry, parentPid, kernel.EnteredPidNamespace);
        return Selected(entry) ? e with { Process = entry.Info } : null;
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
}
