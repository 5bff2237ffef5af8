using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Tracking;

/// <summary>The ProcessFilter's verdicts: the tree before any /proc read, user and pattern after.</summary>
internal sealed partial class EnrichmentStage
{
    /// <summary>
    /// With a tree filter, a process first seen (its exec came before its fork event, or it
    /// was evicted) is placed by its own membership, else by its stat's parent; outside the
    /// tree it is remembered as such, without reading the rest of /proc.
    /// </summary>
    private bool OutsideTree(int pid)
    {
        if (_filter is not { SelectsTree: true })
            return false;
        if (!ProcStat.TryRead(pid, out ProcStat stat))
            return false; // gone: the caller's read fails too
        if (InTreeSeen(pid, stat.ParentPid, stat.StartTimeTicks, startExact: true))
            return false;
        ProcessEntry entry = SeedEntry(stat);
        entry.InTree = false;
        entry.NeedsDetail = false;
        _table.Add(entry);
        return true;
    }

    /// <summary>
    /// With a tree filter, the processes the seed placed in the tree: the kernel's tree filter
    /// starts from them too (it must keep every process this table keeps). Null without one.
    /// </summary>
    internal List<int>? SeededTree()
    {
        if (_tree is null)
            return null;
        var pids = new List<int>(_tree.Pids());
        foreach (int pid in _table.Pids())
        {
            // Members past the member list's bound are known by their entries alone.
            if (_table.Peek(pid) is { InTree: true } && !_tree.Adopts(pid))
                pids.Add(pid);
        }
        return pids;
    }

    /// <summary>
    /// A process seen for the first time (or again, its entry evicted): a root, a member on
    /// record (membership does not depend on the evictable entry, nor on who its parent is
    /// now), or else placed as a new process under its current parent. Recorded when in.
    /// </summary>
    private bool InTreeSeen(int pid, int parentPid, ulong startTicks, bool startExact)
    {
        if (_tree is null)
            return true;
        if (_tree.IsRoot(pid) || _tree.IsMember(pid, startTicks, startExact))
            return true;
        if (!PlaceNew(parentPid, 0))
            return false;
        _tree.Add(pid, startTicks, startExact);
        return true;
    }

    /// <summary>
    /// A new process, from its fork: in the tree when its parent or its creator (the caller of
    /// fork/clone; 0: not known) is. Only the eBPF fork record knows the creator; the
    /// connector and /proc name real_parent, which clone(CLONE_PARENT) sets to the creator's
    /// parent (docs/watched-tree.md).
    /// </summary>
    private bool InTreeAtFork(int pid, int parentPid, int creatorPid) =>
        _tree is null || _tree.IsRoot(pid) || PlaceNew(parentPid, creatorPid);

    private bool PlaceNew(int parentPid, int creatorPid)
    {
        Placement byParent = ChildrenOf(parentPid);
        if (byParent == Placement.In)
            return true;
        Placement byCreator = creatorPid > 0 && creatorPid != parentPid ? ChildrenOf(creatorPid) : Placement.Out;
        if (byCreator == Placement.In)
            return true;
        if (byParent == Placement.Out && byCreator == Placement.Out)
            return false;
        _tree!.OnUndecided(); // fail safe: shown and counted, never dropped unseen
        return true;
    }

    private enum Placement : byte { Out, In, Unknown }

    /// <summary>
    /// Whether the children of <paramref name="pid"/> are in the tree: by its membership record,
    /// else its table entry, else (nothing records it: evicted past both bounds, or its fork
    /// was lost) by its ancestry in /proc, the kernel's own tree. Unknown when /proc no longer
    /// has it either.
    /// </summary>
    private Placement ChildrenOf(int pid)
    {
        TreeMembership tree = _tree!;
        int first = pid;
        for (int depth = 0; depth < 4096; depth++)
        {
            if (pid <= 0)
                return Placement.Out;
            if (tree.Adopts(pid))
                return Placed(first, pid, Placement.In);
            if (_table.Peek(pid) is { } entry)
                return Placed(first, pid, entry.InTree ? Placement.In : Placement.Out);
            if (pid == 1 || !ProcStat.TryRead(pid, out ProcStat stat))
                return pid == 1 ? Placement.Out : Placement.Unknown;
            pid = stat.ParentPid;
        }
        return Placement.Unknown;
    }

    /// <summary>A member found by /proc's ancestry is recorded, so that its next child costs no walk.</summary>
    private Placement Placed(int first, int decidedAt, Placement placement)
    {
        if (placement == Placement.In && first != decidedAt && ProcStat.TryRead(first, out ProcStat stat))
            _tree!.Add(first, stat.StartTimeTicks, startExact: true);
        return placement;
    }

    /// <summary>
    /// The watched tree could not be kept exactly (a bound was hit): said in the stream as a
    /// <see cref="LossReason.TreeBound"/> report, at most once a second, with the count of
    /// members left unrecorded and processes included undecided since the last one.
    /// </summary>
    private void ReportTreeUncertainty(ProcessEvent cause, IEventSink next)
    {
        long now = Environment.TickCount64;
        if (_lastTreeReportMs != long.MinValue && now - _lastTreeReportMs < 1000)
            return;
        _lastTreeReportMs = now;
        var report = new LostEvent
        {
            KernelTimeNs = cause.KernelTimeNs, Timestamp = cause.Timestamp, Pid = 0, Tid = 0,
            Origin = cause.Origin, Reason = LossReason.TreeBound, Count = _tree!.TakeUnreported(),
        };
        _statistics?.OnEvent(ProcessEventKind.Lost); // posted past the pipeline's entry, where events are counted
        next.Post(report);
    }

    /// <summary>The seed's placement, by the table's parent links (read from /proc just before).</summary>
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
        RefreshContainer(entry);
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
        if (_tree is null)
            return true;
        return _tree.IsRoot(pid) || _tree.IsMember(pid, 0, startExact: false) || (parentPid is { } ppid && PlaceNew(ppid, 0));
    }
}
