namespace ProcWatch.Kernel.Ebpf;

/// <summary>Tuning of <see cref="ExecCapture"/>; the defaults suit a monitor.</summary>
internal sealed class ExecCaptureOptions
{
    /// <summary>
    /// Size of the BPF ring buffer: a power of two, at least a page. The default 8 MiB holds
    /// about 80,000 typical execs, or 8 with argv at the 1 MiB cap even if the reader is not
    /// scheduled meanwhile (2 MiB lost records, and 4 MiB did once in CI, when five such execs
    /// came back to back beside other tests' storms). It is kernel memory, not procwatch's. When it is full, records are
    /// counted in <see cref="ExecCapture.Drops"/> and reported as lost. Only a window of it is
    /// mapped into procwatch (<see cref="MmapRingBuffer.WindowBytes"/>), so its size costs no RSS.
    /// </summary>
    public int RingBufferBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// The capture thread is woken at most once per interval (or when a quarter of the ring is
    /// waiting), so a record reaches the callback at most about this late. Each wakeup costs
    /// tens of microseconds of CPU on a VM, far more than reading a record, so batching is
    /// what makes a storm cheap (see docs/notes/NOTES-issue4.md). Zero: a wakeup per record.
    /// Beside the connector, whose thread drains the ring after each receive window and
    /// before each event it posts, a storm's records reach the pipeline within the connector's
    /// window (16 ms); this interval bounds the delay when the connector is quiet.
    /// </summary>
    public TimeSpan WakeupInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Tests only: a record for which this returns true is dropped as if it never came (the cross-check must report it).</summary>
    internal Func<KernelRecord, bool>? DiscardForTest { get; init; }

    internal static ExecCaptureOptions Default { get; } = new();
}
