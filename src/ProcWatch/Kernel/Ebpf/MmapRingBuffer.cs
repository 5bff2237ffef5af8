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
/// The data is mapped once, not twice as libbpf does so that a record that wraps is contiguous:
/// the kernel maps every page of the ring at mmap, so the second view cost the ring's size in
/// resident memory (4 MiB of procwatch's peak RSS). The rare record that wraps (one per turn of
/// the ring at most) is copied into <see cref="_wrapped"/> instead (bench/README.md, issue 26).
/// </remarks>
internal sealed unsafe class MmapRingBuffer(RecordSink sink, int epollFd, int wakeFd, byte* consumerPage, byte* producerPage, nuint producerMapLength, ulong size) : IDisposable
{
    private const uint BPF_RINGBUF_BUSY_BIT = 1u << 31;
    private const uint BPF_RINGBUF_DISCARD_BIT = 1u << 30;
    private const int BPF_RINGBUF_HDR_SZ = 8;
    private const int KeptWrapBufferBytes = 64 * 1024;

    private readonly int _epollFd = epollFd;
    private readonly int _wakeFd = wakeFd;
    private readonly byte* _consumerPage = consumerPage;
    private readonly byte* _producerPage = producerPage;
    private readonly nuint _producerMapLength = producerMapLength;
    private readonly byte* _data = producerPage + Environment.SystemPageSize;
    private readonly ulong _size = size;
    private readonly ulong _mask = size - 1;
    private byte[] _wrapped = [];
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
        nuint producerLength = page + (nuint)ringBytes;
        void* producer = Libc.Mmap(null, producerLength, Libc.PROT_READ, Libc.MAP_SHARED, mapFd, (long)page);
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
            Libc.Munmap(producer, producerLength);
            Libc.Munmap(consumer, page);
            return false;
        }
        errno = 0;
        ring = new MmapRingBuffer(sink, epfd, wakeFd, (byte*)consumer, (byte*)producer, producerLength, (ulong)ringBytes);
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
                byte* header = _data + (cons & _mask);
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
                    bool more = Sink.OnSample(Sample(at, sampleLen));
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
    /// The sample of the record whose header is at <paramref name="position"/>. A header never
    /// wraps (records are 8-byte aligned, the ring a multiple of the page); a sample that runs past
    /// the end continues at the start of the data and is copied so the sink sees it whole.
    /// </summary>
    private ReadOnlySpan<byte> Sample(ulong position, uint length)
    {
        ulong offset = (position & _mask) + BPF_RINGBUF_HDR_SZ;
        if (offset + length <= _size)
        {
            return new ReadOnlySpan<byte>(_data + offset, (int)length);
        }
        byte[] copy = _wrapped.Length >= length ? _wrapped : new byte[Math.Max(length, 4096u)];
        if (copy.Length <= KeptWrapBufferBytes)
        {
            _wrapped = copy; // kept for the next wrap; a huge record's copy is garbage after the call
        }
        int head = (int)(_size - offset);
        new ReadOnlySpan<byte>(_data + offset, head).CopyTo(copy);
        new ReadOnlySpan<byte>(_data, (int)length - head).CopyTo(copy.AsSpan(head));
        return new ReadOnlySpan<byte>(copy, 0, (int)length);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Libc.Close(_epollFd);
        Libc.Close(_wakeFd);
        Libc.Munmap(_producerPage, _producerMapLength);
        Libc.Munmap(_consumerPage, (nuint)Environment.SystemPageSize);
    }
}
