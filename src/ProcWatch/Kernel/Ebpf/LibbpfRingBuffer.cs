using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Drains the BPF ring buffer with libbpf's reader: <c>ring_buffer__poll</c> waits on epoll and
/// calls back, per sample, into <see cref="OnSample"/> with a pointer into the mapped ring.
/// </summary>
internal sealed unsafe class LibbpfRingBuffer : IRingReader
{
    private readonly SafeRingBufferHandle _rb;
    private GCHandle _self;

    private LibbpfRingBuffer(RecordSink sink, SafeRingBufferHandle rb, GCHandle self)
    {
        Sink = sink;
        _rb = rb;
        _self = self;
    }

    public RecordSink Sink { get; }

    internal static bool TryCreate(int mapFd, RecordSink sink, [NotNullWhen(true)] out LibbpfRingBuffer? ring, out int errno)
    {
        GCHandle self = GCHandle.Alloc(sink);
        var rb = new SafeRingBufferHandle(Interop.Libbpf.ring_buffer__new(mapFd, &OnSample, GCHandle.ToIntPtr(self), null));
        if (rb.IsInvalid)
        {
            errno = Marshal.GetLastPInvokeError();
            self.Free();
            ring = null;
            return false;
        }
        errno = 0;
        ring = new LibbpfRingBuffer(sink, rb, self);
        return true;
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> and consumes what is there: count, or a negative errno.</summary>
    public int Poll(int timeoutMs)
    {
        nint rb = _rb.DangerousGetHandle();
        int n = Interop.Libbpf.ring_buffer__poll(rb, timeoutMs);
        // ring_buffer__poll only reads rings epoll reported; records written without a wakeup
        // (BPF_RB_NO_WAKEUP) are picked up here.
        return n == 0 ? Interop.Libbpf.ring_buffer__consume(rb) : n;
    }

    public void Dispose()
    {
        _rb.Dispose();
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static int OnSample(nint ctx, nint data, nuint size)
    {
        var sink = (RecordSink)GCHandle.FromIntPtr(ctx).Target!;
        // The sample lives in the ring only until this returns; the parser copies it out.
        return sink.OnSample(new ReadOnlySpan<byte>((void*)data, (int)size)) ? 0 : -1;
    }
}
