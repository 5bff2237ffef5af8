namespace ProcWatch.Tracking;

/// <summary>
/// The parent chain an exec carries (<c>procwatch.ancestors</c>, the parent first), built from
/// the process table. The pids come from the kernel's record when it has them (the live
/// real_parent chain at exec: exact across a reparent to a subreaper or init, which no event
/// announces); beyond it, or without eBPF, from each entry's recorded parent. Each ancestor
/// is the table's cached summary, so an exec costs one array and no /proc read (a process
/// older than procwatch is read from /proc once, when it is first needed).
/// </summary>
internal sealed class AncestorChain(ProcessTable table, Func<int, ParentInfo?> summaryOf, int depth)
{
    public int Depth { get; } = Math.Max(0, depth);

    /// <param name="parentPid">The exec'ing process's parent.</param>
    /// <param name="kernelPids">The kernel's chain, parent first; null when unknown.</param>
    public IReadOnlyList<ParentInfo>? Of(int parentPid, IReadOnlyList<int>? kernelPids)
    {
        if (Depth == 0 || parentPid <= 0)
            return null;
        Span<int> pids = stackalloc int[Math.Min(Depth, 64)];
        int n = 0;
        int pid = parentPid;
        while (n < pids.Length && pid > 0)
        {
            pids[n] = pid;
            int next = kernelPids is not null && n + 1 < kernelPids.Count && kernelPids[n] == pid ? kernelPids[n + 1] : 0;
            if (next == 0 && (kernelPids is null || n + 1 >= kernelPids.Count))
                next = table.Peek(pid)?.Info.ParentPid ?? 0; // past the kernel's chain: what the table recorded
            n++;
            pid = next == pids[n - 1] ? 0 : next;
        }
        var chain = new ParentInfo[n];
        for (int i = 0; i < n; i++)
            chain[i] = summaryOf(pids[i]) ?? new ParentInfo { Pid = pids[i] };
        return chain;
    }
}
