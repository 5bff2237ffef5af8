namespace ProcWatch.Tracking;

/// <summary>Denials: the attempted program as the kernel reported it, with what the table knows of the caller.</summary>
internal sealed partial class EnrichmentStage
{
    /// <summary>
    /// The table is not touched: the exec did not happen (or, audited, its own exec event
    /// follows). The caller's entry lends the parent, session, terminal and container.
    /// </summary>
    private DeniedEvent? OnDenied(DeniedEvent e)
    {
        ProcessEntry? entry = Known(e.Pid);
        if (entry is null)
            return PassesUnknown(e.Pid, e.Process?.ParentPid) ? e : null;
        if (!Selected(entry))
            return null;
        ProcessInfo caller = entry.Info;
        ProcessInfo attempt = e.Process ?? new ProcessInfo { Pid = e.Pid };
        return e with
        {
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
