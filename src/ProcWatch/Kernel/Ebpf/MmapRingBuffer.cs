using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Drains the BPF ring buffer without libbpf's reader: the ring is mapped into this process
/// (consumer page read-write, producer page and data read-only) and walked in managed code, as
/// kernel/bpf/ringbuf.c lays it out: each record an 8-byte header (length with BUSY and
/// DISCARD bits, page offset), then the sample, rounded up to 8 bytes.
/// </summary>
/// <remarks>
/// Chosen over libbpf's ring_buffer__poll with an [UnmanagedCallersOnly] callback: measured
/// cheaper per record (docs/notes/NOTES-issue4.md), and it can be woken at once for shutdown.
/// <para>
/// The data is read through a sliding window of <see cref="WindowBytes"/>, not mapped whole:
/// the kernel maps every page of a ring mapping at mmap, so libbpf's way (the data mapped
/// twice, for records that wrap) made a 4 MiB ring 8 MiB of procwatch's resident memory
/// (bench/README.md, issue 26). The kernel lays the data pages out twice in a row behind the
/// producer page, so a window that starts inside the ring may run past its end and still see
/// a wrapping record whole; the window moves (one munmap + mmap, about every 256 KiB of
/// records) when the next record does not fit, and grows to fit a record larger than it.
/// </para>
/// </remarks>
internal sealed unsafe class MmapRingBuffer(RecordSink sink, int mapFd, int epollFd, int wakeFd, byte* consumerPage, byte* producerPage, ulong size) : IDisposable
{
    private const uint BPF_RINGBUF_BUSY_BIT = 1u << 31;
    private const uint BPF_RINGBUF_DISCARD_BIT = 1u << 30;
    private const int BPF_RINGBUF_HDR_SZ = 8;

    /// <summary>Resident size of the window onto the ring's data (a record larger than it is mapped whole).</summary>
    internal const int WindowBytes = 256 * 1024;

    private readonly int _mapFd = mapFd;
    private readonly int _epollFd = epollFd;
    private readonly int _wakeFd = wakeFd;
    private readonly byte* _consumerPage = consumerPage;
    private readonly byte* _producerPage = producerPage;
    private readonly ulong _mask = size - 1;
    private byte* _window;       // the data from ring offset _windowStart, _windowLength bytes (null: none yet)
    private ulong _windowStart;
    private nuint _windowLength;
    private int _disposed;

    internal RecordSink Sink { get; } = sink;

    internal static bool TryCreate(int mapFd, int ringBytes, RecordSink sink, [NotNullWhen(true)] out MmapRingBuffer? ring, out int errno)
    {
        ring = null;
        nuint page = (nuint)Environment.SystemPageSize;
        void* consumer = Libc.Mmap(null, page, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, mapFd, 0);
        if ((nint)consumer == Libc.MAP_FAILED)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }
        void* producer = Libc.Mmap(null, page, Libc.PROT_READ, Libc.MAP_SHARED, mapFd, (long)page);
        if ((nint)producer == Libc.MAP_FAILED)
        {
            errno = Marshal.GetLastPInvokeError();
            Libc.Munmap(consumer, page);
            return false;
        }
        int epfd = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        int wakeFd = epfd < 0 ? -1 : Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (wakeFd < 0 || !TryAdd(epfd, mapFd) || !TryAdd(epfd, wakeFd))
        {
            errno = Marshal.GetLastPInvokeError();
            if (wakeFd >= 0)
            {
                Libc.Close(wakeFd);
            }
            if (epfd >= 0)
            {
                Libc.Close(epfd);
            }
            Libc.Munmap(producer, page);
            Libc.Munmap(consumer, page);
            return false;
        }
        errno = 0;
        ring = new MmapRingBuffer(sink, mapFd, epfd, wakeFd, (byte*)consumer, (byte*)producer, (ulong)ringBytes);
        return true;
    }

    private static bool TryAdd(int epfd, int fd)
    {
        byte* ev = stackalloc byte[Libc.EpollEventMaxSize];
        new Span<byte>(ev, Libc.EpollEventMaxSize).Clear();
        *(uint*)ev = Libc.EPOLLIN;
        return Libc.EpollCtl(epfd, Libc.EPOLL_CTL_ADD, fd, ev) == 0;
    }

    /// <summary>Makes a <see cref="Poll"/> in progress (and every later one) return at once.</summary>
    internal void Wake()
    {
        ulong one = 1;
        Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    /// <summary>Consumes what is there, else waits up to <paramref name="timeoutMs"/> once and consumes again: count, or a negative errno.</summary>
    internal int Poll(int timeoutMs)
    {
        int n = Consume();
        if (n != 0)
        {
            return n;
        }
        int rc = Wait(timeoutMs);
        return rc < 0 ? rc : Consume();
    }

    /// <summary>Sleeps until the kernel signals new records, <see cref="Wake"/> is called, or the timeout: 0, or a negative errno.</summary>
    internal int Wait(int timeoutMs)
    {
        byte* events = stackalloc byte[2 * Libc.EpollEventMaxSize];
        return Libc.EpollWait(_epollFd, events, 2, timeoutMs) < 0 ? -Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>Hands every complete record to <see cref="Sink"/> without waiting; one caller at a time.</summary>
    internal int Consume()
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
                byte* header = Map(cons & _mask, BPF_RINGBUF_HDR_SZ);
                if (header == null)
                {
                    return count; // out of memory for the window: the records wait, the ring reports what it cannot hold
                }
                uint len = Volatile.Read(ref *(uint*)header);
                if ((len & BPF_RINGBUF_BUSY_BIT) != 0)
                {
                    return count; // the producer is still writing this one
                }
                gotNew = true;
                uint sampleLen = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
                ulong at = cons;
                cons += (sampleLen + BPF_RINGBUF_HDR_SZ + 7u) & ~7u;
                if ((len & BPF_RINGBUF_DISCARD_BIT) == 0)
                {
                    byte* record = Map(at & _mask, BPF_RINGBUF_HDR_SZ + sampleLen);
                    if (record == null)
                    {
                        return count;
                    }
                    bool more = Sink.OnSample(new ReadOnlySpan<byte>(record + BPF_RINGBUF_HDR_SZ, (int)sampleLen));
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

    /// <summary>
    /// The address of <paramref name="length"/> bytes of data at ring offset <paramref name="offset"/>
    /// (below the ring's size), moving the window there first if they are not in it; null when the
    /// new window cannot be mapped (the old one stays).
    /// </summary>
    private byte* Map(ulong offset, uint length)
    {
        if (_window != null && offset >= _windowStart && offset + length <= _windowStart + _windowLength)
        {
            return _window + (offset - _windowStart);
        }
        ulong page = (ulong)Environment.SystemPageSize;
        ulong start = offset & ~(page - 1);
        // Never past the second copy of the data: offset < size and length <= size.
        ulong end = Math.Min(Math.Max(start + WindowBytes, (offset + length + page - 1) & ~(page - 1)), 2 * (_mask + 1));
        // The data begins after the consumer and producer pages.
        void* window = Libc.Mmap(null, (nuint)(end - start), Libc.PROT_READ, Libc.MAP_SHARED, _mapFd, (long)(2 * page + start));
        if ((nint)window == Libc.MAP_FAILED)
        {
            return null;
        }
        if (_window != null)
        {
            Libc.Munmap(_window, _windowLength);
        }
        _window = (byte*)window;
        _windowStart = start;
        _windowLength = (nuint)(end - start);
        return _window + (offset - start);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Libc.Close(_epollFd);
        Libc.Close(_wakeFd);
        if (_window != null)
        {
            Libc.Munmap(_window, _windowLength);
        }
        Libc.Munmap(_producerPage, (nuint)Environment.SystemPageSize);
        Libc.Munmap(_consumerPage, (nuint)Environment.SystemPageSize);
    }
}
