namespace ProcWatch.Kernel.ProcScan;

/// <summary>Turning what a scan found into fork, exec and exit events.</summary>
internal sealed partial class ProcScanner
{
    /// <summary>A new process with its argv: a copy of its parent (fork) or a program of its own (exec).</summary>
    private void ReportNew(TrackedProcess process)
    {
        TrackedProcess? parent = _known.GetValueOrDefault(process.ParentPid);
        if (parent is not null && parent.State != TrackedState.Opaque && SameProgram(parent, process))
        {
            process.State = TrackedState.Forked;
            ReportFork(process);
        }
        else
        {
            process.State = TrackedState.Running;
            ReportExec(process);
        }
    }

    private void ReportFork(TrackedProcess process)
    {
        if (!_kinds.Contains(ProcessEventKind.Fork))
            return;
        Post(new ForkEvent
        {
            KernelTimeNs = _scanNs, Timestamp = _clock.ToWallClock(_scanNs), Pid = process.Pid, Tid = process.Pid,
            ParentPid = process.ParentPid, ParentTid = process.ParentPid, Origin = EventOrigin.Procfs, Process = process.Info,
            Pin = process.Pin,
        });
    }

    private void ReportExec(TrackedProcess process)
    {
        if (!_kinds.Contains(ProcessEventKind.Exec))
            return;
        Post(new ExecEvent
        {
            KernelTimeNs = _scanNs, Timestamp = _clock.ToWallClock(_scanNs), Pid = process.Pid, Tid = process.Pid,
            Origin = EventOrigin.Procfs, Process = process.Info, Pin = process.Pin,
        });
    }

    private void ReportExit(TrackedProcess process)
    {
        if (process.State == TrackedState.Opaque)
            return;
        if (process.State == TrackedState.ArgsPending)
            ReportExec(process); // it ended before its argv could be read: report what is known
        if (!_kinds.Contains(ProcessEventKind.Exit))
            return;
        Post(new ExitEvent
        {
            KernelTimeNs = _scanNs, Timestamp = _clock.ToWallClock(_scanNs), Pid = process.Pid, Tid = process.Pid,
            Status = null, // /proc never tells how a process ended
            ParentPid = process.ParentPid, ParentTid = process.ParentPid,
            // Between its start and this scan: the exit happened at most one scan interval earlier.
            Duration = process.StartMonotonicNs > 0 ? TimeSpan.FromTicks(Math.Max(0, _scanNs - process.StartMonotonicNs) / 100) : null,
            Origin = EventOrigin.Procfs, Process = process.Info,
        });
    }

    private void Post(ProcessEvent e) => _sink.Post(e); // the pipeline counts it
}
