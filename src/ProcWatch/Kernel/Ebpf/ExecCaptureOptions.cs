namespace ProcWatch.Kernel.Ebpf;

/// <summary>Tuning of <see cref="ExecCapture"/>; the defaults suit a monitor.</summary>
internal sealed class ExecCaptureOptions
{
    /// <summary>
    /// Size of the BPF ring buffer: a power of two, at least a page. The default 4 MiB holds
    /// about 40,000 typical execs (or 60 with argv at the cap); when it is full, execs are
    /// counted in <see cref="ExecCapture.Drops"/>.
    /// </summary>
    public int RingBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// The capture thread is woken at most once per interval (or when a quarter of the ring is
    /// waiting), so a record reaches the callback at most about this late. Each wakeup costs
    /// tens of microseconds of CPU on a VM, far more than reading a record, so batching is
    /// what makes a storm cheap (see docs/notes/NOTES-issue4.md). Zero: a wakeup per record.
    /// </summary>
    public TimeSpan WakeupInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    internal static ExecCaptureOptions Default { get; } = new();
}
