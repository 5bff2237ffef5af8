namespace ProcWatch;

/// <summary>Why events were lost.</summary>
public enum LossReason : byte
{
    /// <summary>The kernel dropped netlink messages because the socket buffer was full (ENOBUFS).</summary>
    KernelBufferOverrun,
    /// <summary>A gap in the connector's per-CPU sequence numbers.</summary>
    SequenceGap,
    /// <summary>The eBPF ring buffer was full.</summary>
    RingBufferFull,
    /// <summary>The consumer was too slow and ProcWatch's own queue was full.</summary>
    QueueFull,
    /// <summary>A message could not be parsed.</summary>
    Malformed,
    /// <summary>
    /// The proc connector counted more forks, execs or exits in a window than the eBPF ring
    /// delivered, beyond what the ring's own drop counters reported (the completeness cross-check).
    /// </summary>
    CrossCheck,
    /// <summary>
    /// Not a loss of events: the <c>-p</c> (or <c>-- COMMAND</c>) tree could not be kept
    /// exactly because a bound was hit (its member list, with the process table evicting).
    /// Count processes were placed by /proc's ancestry alone, or included because nothing
    /// could place them; a process created with clone(CLONE_PARENT) may be misplaced.
    /// </summary>
    TreeBound,
    /// <summary>
    /// Not a loss of events: the eBPF backend's completeness cross-check could not judge Count
    /// one-second windows (procwatch or the machine stalled for more than 15 s: SIGSTOP, a
    /// frozen VM), whose counts may have been overwritten. A loss in those windows, if any,
    /// was not found; ring and connector losses are still reported by their own reasons.
    /// </summary>
    CrossCheckSkipped,
}

/// <summary>Events were lost. Never silent: each loss is reported and counted.</summary>
public sealed record LostEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Lost"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Lost;
    /// <summary>Where the events were lost.</summary>
    public required LossReason Reason { get; init; }

    /// <summary>How many events were lost, or 0 when the kernel did not say (ENOBUFS).</summary>
    public required long Count { get; init; }
}
