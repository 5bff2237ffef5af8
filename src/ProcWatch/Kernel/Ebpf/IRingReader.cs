namespace ProcWatch.Kernel.Ebpf;

/// <summary>A consumer of the BPF ring buffer, driven by the capture thread.</summary>
internal interface IRingReader : IDisposable
{
    RecordSink Sink { get; }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for records and hands them to <see cref="Sink"/>: count, or a negative errno.</summary>
    int Poll(int timeoutMs);
}

/// <summary>Which ring consumer to use; both are kept for the benchmark that chose the default.</summary>
internal enum RingReaderKind
{
    /// <summary>libbpf's ring_buffer__poll with an [UnmanagedCallersOnly] callback per sample.</summary>
    Libbpf,

    /// <summary>The ring mapped into the process and walked in managed code.</summary>
    Mmap,
}
