using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Tracking;

/// <summary>The ProcessFilter's verdicts: the tree before any /proc read, user and pattern after.</summary>
internal sealed partial class EnrichmentStage
{
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

    /// <summary>
    /// With a tree filter, the processes the seed placed in the tree: the kernel's tree filter
    /// starts from them too (it must keep every process this table keeps). Null without one.
    /// </summary>
    internal List<int>? SeededTree()
    {
        if (_filter is not { SelectsTree: true })
            return null;
        var pids = new List<int>();
        foreach (int pid in _table.Pids())
        {
            if (_table.Peek(pid) is { InTree: true })
                pids.Add(pid);
        }
        return pids;
    }

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
        if (!_filter.SelectsTree)
            return true;
        return parentPid is { } ppid && InTree(pid, ppid);
    }
}
