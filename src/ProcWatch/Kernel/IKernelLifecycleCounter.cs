namespace ProcWatch.Kernel;

/// <summary>
/// A counter of the proc connector's process forks, execs and exits that runs in the kernel,
/// on the connector's own socket (a BPF socket filter: bpf/hook_connector.c), so that the
/// copies it counts for <see cref="LifecycleCrossCheck"/> are never received. Loaded with the
/// eBPF capture, attached by the connector, read by the capture's judgement tick.
/// </summary>
internal interface IKernelLifecycleCounter
{
    /// <summary>The socket filter program, for SO_ATTACH_BPF.</summary>
    int ProgramFd { get; }

    /// <summary>
    /// Starts counting (and dropping) events stamped at or after <paramref name="fromNs"/> of
    /// the connector kinds <paramref name="whatMask"/> (PROC_EVENT_FORK/EXEC/EXIT bits); until
    /// then the filter passes everything. False when the kernel refused.
    /// </summary>
    bool Begin(long fromNs, uint whatMask);

    /// <summary>
    /// Adds to <paramref name="counts"/> (indexed by <see cref="Lifecycle"/>) what was counted
    /// in <paramref name="window"/> (seconds of CLOCK_MONOTONIC). False when it could not be read.
    /// </summary>
    bool ReadWindow(long window, Span<long> counts);
}
