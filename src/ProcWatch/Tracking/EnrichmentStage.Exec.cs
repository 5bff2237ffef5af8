using ProcWatch.Kernel.Ebpf;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Tracking;

/// <summary>Exec: the one build of the event's process (ProcessAssembler), from the kernel's record when there is one.</summary>
internal sealed partial class EnrichmentStage
{
    private ExecEvent? OnExec(ExecEvent e)
    {
        // Outside the watched tree: skip the /proc reads. Peek: the kernel's tree filter sends
        // no such exec at all, so it must not make the entry recently used either.
        if (_table.Peek(e.Pid) is { InTree: false })
            return null;
        ProcessEntry? entry = _table.Find(e.Pid);
        if (e.Record is ExecRecord kernel)
            return OnKernelExec(e, kernel, entry);
        if (entry is null && OutsideTree(e.Pid))
            return null;
        // The procfs backend's scan (maybe of a process gone by now) is what the source put in Process.
        ProcessInfo? scan = e.Process;
        bool haveArgs = scan is { ArgvSource: ArgvSource.Ebpf or ArgvSource.Procfs, Args: not null };

        ProcessInfo info;
        ProcessInfo? known = entry?.Info;
        // A pinned scan (procfs) vouches for what /proc says only while its process still holds
        // the pid after the read: a start time known to the tick cannot tell a same-tick reuse.
        if (_reader.TryRead(e.Pid, entry?.StartTicks, entry?.StartExact ?? false, readArgs: !haveArgs, out ProcRead read)
            && e.Pin?.HasExited() != true)
        {
            ProcStat stat = read.Stat;
            // No kernel record of the file: its hash is unavailable.
            var lineage = new ExecLineage(ParentOf(stat.ParentPid), _ancestors.Of(stat.ParentPid, null), _hasher is null ? null : HashStatuses.Unavailable);
            info = _assembler.BuildFromProc(e.Pid, read, scan, known, lineage);
            if (entry is null)
            {
                entry = new ProcessEntry(e.Pid, info)
                {
                    StartTicks = stat.StartTimeTicks,
                    StartExact = true,
                    StartMonotonicNs = _boot.StartTicksToMonotonicNs(stat.StartTimeTicks),
                    InTree = InTreeSeen(e.Pid, stat.ParentPid, stat.StartTimeTicks, startExact: true),
                };
                _table.Add(entry);
                if (!entry.InTree)
                    return null;
            }
        }
        else
        {
            // Lost the race (the process is gone, or the pid is already another process's).
            info = ProcessAssembler.BuildLostRace(e.Pid, scan, known);
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

    /// <summary>An exec built from the kernel's record: no /proc reads but for what it left unknown.</summary>
    private ExecEvent? OnKernelExec(ExecEvent e, ExecRecord kernel, ProcessEntry? entry)
    {
        int parentPid = kernel.ParentTgid;
        ulong kernelStartTicks = kernel.StartBootNs != 0 ? _boot.BootNsToStartTicks(kernel.StartBootNs) : 0;
        bool? placed = entry is null ? InTreeSeen(e.Pid, parentPid, kernelStartTicks, startExact: kernelStartTicks != 0) : null;
        if (placed == false)
        {
            if (_filter is { SelectsTree: true })
            {
                var outside = new ProcessEntry(e.Pid, new ProcessInfo { Pid = e.Pid, ParentPid = parentPid }) { InTree = false };
                _table.Add(outside);
                return null;
            }
        }
        ProcessInfo info = _assembler.BuildKernelExec(e.Pid, kernel, entry?.Info, ParentOf(parentPid), _ancestors.Of(parentPid, kernel.Ancestors));
        ulong startNs = info.StartBootNs ?? 0;
        if (entry is null || entry.StartTicks != info.StartTimeTicks)
        {
            // First sight (its fork came before procwatch, or was lost), or the table's entry was another process on this pid.
            entry = new ProcessEntry(e.Pid, info)
            {
                StartTicks = info.StartTimeTicks ?? 0,
                StartExact = startNs != 0,
                StartMonotonicNs = startNs != 0 ? _boot.BootNsToMonotonicNs(startNs) : e.KernelTimeNs,
                InTree = placed ?? InTreeSeen(e.Pid, parentPid, kernelStartTicks, startExact: kernelStartTicks != 0),
            };
            _table.Add(entry);
        }
        else
        {
            entry.StartExact = true;
            entry.Update(info);
        }
        entry.NeedsDetail = false;
        entry.LastExecNs = e.KernelTimeNs;
        OnContainerExec(entry, parentPid, kernel.EnteredPidNamespace);
        return Selected(entry) ? e with { Process = entry.Info } : null;
    }
}
