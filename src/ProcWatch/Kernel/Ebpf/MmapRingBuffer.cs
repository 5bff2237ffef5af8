using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Drains the BPF ring buffer without libbpf's reader: the ring is mapped into this process
/// (consumer page read-write, producer page and data read-only, the data mapped twice so a
/// record that wraps is contiguous) and walked in managed code, as kernel/bpf/ringbuf.c
/// lays it out: each record an 8-byte header (length with BUSY and DISCARD bits, page
/// offset), then the sample, rounded up to 8 bytes.
/// </summary>
/// <remarks>
/// Chosen over libbpf's ring_buffer__poll with an [UnmanagedCallersOnly] callback: measured
/// cheaper per record (NOTES-issue4.md), and it can be woken at once for shutdown.
/// </remarks>
internal sealed unsafe class MmapRingBuffer : IDisposable
{
    private const uint BPF_RINGBUF_BUSY_BIT = 1u << 31;
    private const uint BPF_RINGBUF_DISCARD_BIT = 1u << 30;
    private const int BPF_RINGBUF_HDR_SZ = 8;

    private readonly int _epollFd;
    private readonly int _wakeFd;
    private readonly byte* _consumerPage;
    private readonly byte* _producerPage;
    private readonly nuint _producerMapLength;
    private readonly byte* _data;
    private readonly ulong _mask;
    private int _disposed;

    private MmapRingBuffer(RecordSink sink, int epollFd, int wakeFd, byte* consumerPage, byte* producerPage, nuint producerMapLength, ulong size)
    {
        Sink = sink;
        _epollFd = epollFd;
        _wakeFd = wakeFd;
        _consumerPage = consumerPage;
        _producerPage = producerPage;
        _producerMapLength = producerMapLength;
        _data = producerPage + Environment.SystemPageSize;
        _mask = size - 1;
    }

    internal RecordSink Sink { get; }

    internal static bool TryCreate(int mapFd, int ringBytes, RecordSink sink, [NotNullWhen(true)] out MmapRingBuffer? ring, out int errno)
    {
        ring = null;
        nuint page = (nuint)Environment.SystemPageSize;
        void* consumer = Interop.Libc.mmap(null, page, Interop.Libc.PROT_READ | Interop.Libc.PROT_WRITE, Interop.Libc.MAP_SHARED, mapFd, 0);
        if ((nint)consumer == Interop.Libc.MAP_FAILED)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }
        nuint producerLength = page + 2 * (nuint)ringBytes;
        void* producer = Interop.Libc.mmap(null, producerLength, Interop.Libc.PROT_READ, Interop.Libc.MAP_SHARED, mapFd, (long)page);
        if ((nint)producer == Interop.Libc.MAP_FAILED)
        {
            errno = Marshal.GetLastPInvokeError();
            Interop.Libc.munmap(consumer, page);
            return false;
        }
        int epfd = Interop.Libc.epoll_create1(Interop.Libc.EPOLL_CLOEXEC);
        int wakeFd = epfd < 0 ? -1 : Interop.Libc.eventfd(0, Interop.Libc.EFD_CLOEXEC | Interop.Libc.EFD_NONBLOCK);
        if (wakeFd < 0 || !TryAdd(epfd, mapFd) || !TryAdd(epfd, wakeFd))
        {
            errno = Marshal.GetLastPInvokeError();
            if (wakeFd >= 0)
            {
                Interop.Libc.close(wakeFd);
            }
            if (epfd >= 0)
            {
                Interop.Libc.close(epfd);
            }
            Interop.Libc.munmap(producer, producerLength);
            Interop.Libc.munmap(consumer, page);
            return false;
        }
        errno = 0;
        ring = new MmapRingBuffer(sink, epfd, wakeFd, (byte*)consumer, (byte*)producer, producerLength, (ulong)ringBytes);
        return true;
    }

    private static bool TryAdd(int epfd, int fd)
    {
        // struct epoll_event is 12 bytes (packed) on x86-64 and 16 elsewhere; only .events is set.
        byte* ev = stackalloc byte[16];
        new Span<byte>(ev, 16).Clear();
        *(uint*)ev = Interop.Libc.EPOLLIN;
        return Interop.Libc.epoll_ctl(epfd, Interop.Libc.EPOLL_CTL_ADD, fd, ev) == 0;
    }

    /// <summary>Makes a <see cref="Poll"/> in progress (and every later one) return at once.</summary>
    internal void Wake()
    {
        ulong one = 1;
        Interop.Libc.write(_wakeFd, &one, sizeof(ulong));
    }

    /// <summary>Consumes what is there, else waits up to <paramref name="timeoutMs"/> once and consumes again: count, or a negative errno.</summary>
    internal int Poll(int timeoutMs)
    {
        int n = Consume();
        if (n != 0)
        {
            return n;
        }
        byte* events = stackalloc byte[2 * 16];
        int rc = Interop.Libc.epoll_wait(_epollFd, events, 2, timeoutMs);
        if (rc < 0)
        {
            return -Marshal.GetLastPInvokeError();
        }
        return Consume();
    }

    private int Consume()
    {
        ref ulong consumerPos = ref *(ulong*)_consumerPage;
        ref ulong producerPos = ref *(ulong*)_producerPage;
        ulong cons = Volatile.Read(ref consumerPos);
        int count = 0;
        bool gotNew;
        do
        {
            gotNew = false;
            ulong prod = Volatile.Read(ref producerPos);
            while (cons < prod)
            {
                byte* header = _data + (cons & _mask);
                uint len = Volatile.Read(ref *(uint*)header);
                if ((len & BPF_RINGBUF_BUSY_BIT) != 0)
                {
                    return count; // the producer is still writing this one
                }
                gotNew = true;
                uint sampleLen = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
                cons += (sampleLen + BPF_RINGBUF_HDR_SZ + 7u) & ~7u;
                if ((len & BPF_RINGBUF_DISCARD_BIT) == 0)
                {
                    bool more = Sink.OnSample(new ReadOnlySpan<byte>(header + BPF_RINGBUF_HDR_SZ, (int)sampleLen));
                    count++;
                    if (!more)
                    {
                        Volatile.Write(ref consumerPos, cons);
                        return count;
                    }
                }
                Volatile.Write(ref consumerPos, cons);
            }
        }
        while (gotNew);
        return count;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Interop.Libc.close(_epollFd);
        Interop.Libc.close(_wakeFd);
        Interop.Libc.munmap(_producerPage, _producerMapLength);
        Interop.Libc.munmap(_consumerPage, (nuint)Environment.SystemPageSize);
    }
}
