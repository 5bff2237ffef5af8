namespace ProcWatch;

/// <summary>A task ended. For a process (Tid == Pid) this is the end of the process.</summary>
public sealed record ExitEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Exit"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Exit;

    /// <summary>The raw wait status; null when not known (the /proc backend cannot see it).</summary>
    public required WaitStatus? Status { get; init; }

    /// <summary>The signal sent to the parent on exit (usually SIGCHLD = 17; -1 for a thread, which signals nobody); null when not known.</summary>
    public int? ExitSignal { get; init; }

    /// <summary>The parent's process id, when the source reports it (the connector does).</summary>
    public int ParentPid { get; init; }
    /// <summary>The parent's thread id, when the source reports it.</summary>
    public int ParentTid { get; init; }

    /// <summary>How long the task lived, when its start is known.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>User CPU time of all the process's threads; known with the eBPF exit program.</summary>
    public TimeSpan? UserCpu { get; init; }

    /// <summary>System CPU time of all the process's threads; known with the eBPF exit program.</summary>
    public TimeSpan? SystemCpu { get; init; }

    /// <summary>Peak resident set size in bytes (getrusage's ru_maxrss); known with the eBPF exit program.</summary>
    public long? PeakRssBytes { get; init; }

    /// <summary>True when a thread ended, not the process (Tid != Pid).</summary>
    public bool IsThread => Tid != Pid;
}
