namespace ProcWatch;

/// <summary>
/// The common base of every event: when (kernel monotonic time and wall time), where (cpu)
/// and who (process id = thread group id, thread id). Immutable; enrichment adds a
/// <see cref="ProcessInfo"/> through a <c>with</c> copy.
/// </summary>
public abstract record ProcessEvent
{
    /// <summary>What happened; each kind has its own record type (<see cref="ExecEvent"/>, <see cref="ExitEvent"/>…).</summary>
    public abstract ProcessEventKind Kind { get; }

    /// <summary>Kernel CLOCK_MONOTONIC time of the event, in nanoseconds.</summary>
    public required long KernelTimeNs { get; init; }

    /// <summary>Wall-clock time of the event, converted from <see cref="KernelTimeNs"/>.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>CPU that reported the event, or -1 when not known.</summary>
    public int Cpu { get; init; } = -1;

    /// <summary>Process id (the kernel's tgid).</summary>
    public required int Pid { get; init; }

    /// <summary>Thread id (the kernel's pid); equals <see cref="Pid"/> for the main thread.</summary>
    public required int Tid { get; init; }

    /// <summary>Which mechanism observed the event.</summary>
    public EventOrigin Origin { get; init; } = EventOrigin.Connector;

    /// <summary>What is known about the process, when an enrichment stage supplied it.</summary>
    public ProcessInfo? Process { get; init; }

    /// <summary>The record the event was built from (eBPF's ring), for the assembler to build <see cref="Process"/> from; null for connector and /proc events.</summary>
    internal Events.SourceRecord? Record { get; init; }

    /// <summary>
    /// The procfs backend's pidfd of the process, opened when the data that made this event was
    /// read from /proc (its start time is only known to the tick): what an action may signal.
    /// </summary>
    internal Kernel.Pinning.ProcessPin? Pin { get; init; }

    /// <summary>Argument characters the daemon's flood control cut from this event's line (<c>procwatch.flood_cut_bytes</c>); 0 = none.</summary>
    internal int FloodCutBytes { get; init; }
}
