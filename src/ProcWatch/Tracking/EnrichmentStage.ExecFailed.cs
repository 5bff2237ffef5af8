namespace ProcWatch.Tracking;

/// <summary>Failed exec attempts: the attempt as the kernel reported it, with what the table knows of the caller.</summary>
internal sealed partial class EnrichmentStage
{
    /// <summary>
    /// The table is not touched: the caller goes on running its own program. Its entry lends
    /// the parent, session, terminal, container, start and entity id (so the failure joins
    /// the caller's exec by <c>process.entity_id</c>) and the program it runs, unless the pid
    /// is already someone else's (another start time).
    /// </summary>
    private ExecFailedEvent? OnExecFailed(ExecFailedEvent e)
    {
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null)
            return PassesUnknown(e.Pid, e.Process?.ParentPid) ? e : null;
        ProcessInfo caller = entry.Info;
        ProcessInfo attempt = e.Process ?? new ProcessInfo { Pid = e.Pid };
        if (attempt.StartBootNs is { } start && caller.StartBootNs is { } known && start != known)
            return PassesUnknown(e.Pid, attempt.ParentPid) ? e : null; // the table's entry is a dead namesake
        if (!Selected(entry))
            return null;
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
                Start = caller.Start,
                StartTimeTicks = caller.StartTimeTicks,
                EntityId = caller.EntityId,
            },
        };
    }
}
