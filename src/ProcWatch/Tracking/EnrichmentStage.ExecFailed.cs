namespace ProcWatch.Tracking;

/// <summary>Failed exec attempts: the attempt as the kernel reported it, with what the table knows of the caller.</summary>
internal sealed partial class EnrichmentStage
{
    /// <summary>
    /// The table is not touched: the caller goes on running its own program. The caller's
    /// exact start time comes with the record, so it has an entity id (which joins the failure
    /// to the caller's fork and exec) even when the table does not know it yet: a shell's fork
    /// often reaches the table after the failure, which another thread reads from another
    /// ring. With the eBPF backend that id is the fork's; with the connector alone (ids from
    /// /proc's ticks) only the table's entry gives the same one. When the entry is there and
    /// is the same process, it lends its id, parent, session, terminal, container and the
    /// program the caller runs.
    /// </summary>
    private ExecFailedEvent? OnExecFailed(ExecFailedEvent e)
    {
        ProcessInfo attempt = e.Process ?? new ProcessInfo { Pid = e.Pid };
        if (attempt.StartBootNs is { } startNs and not 0)
        {
            attempt = attempt with
            {
                Start = _boot.BootNsToWallClock(startNs),
                StartTimeTicks = _boot.BootNsToStartTicks(startNs),
                EntityId = _reader.EntityIdOfBootNs(e.Pid, startNs),
            };
        }
        ProcessEntry? entry = Known(e.Pid);
        bool sameProcess = entry is not null && (attempt.StartTimeTicks is not { } ticks || entry.Info.StartTimeTicks is not { } known || ticks == known);
        if (!sameProcess)
            return PassesUnknown(e.Pid, attempt.ParentPid) ? e with { Process = attempt } : null;
        if (!Selected(entry!))
            return null;
        ProcessInfo caller = entry!.Info;
        return e with
        {
            CallerExecutable = caller.Executable,
            Process = attempt with
            {
                Parent = caller.Parent,
                SessionId = caller.SessionId,
                ProcessGroupId = caller.ProcessGroupId,
                LoginUid = caller.LoginUid,
                Tty = caller.Tty,
                CgroupPath = caller.CgroupPath,
                ContainerId = caller.ContainerId,
                Container = caller.Container,
                // The table's id is the one the caller's other events carry (from /proc ticks
                // with the connector alone, exact with eBPF): the same process, the same id.
                EntityId = caller.EntityId ?? attempt.EntityId,
                Start = caller.Start ?? attempt.Start,
            },
        };
    }
}
