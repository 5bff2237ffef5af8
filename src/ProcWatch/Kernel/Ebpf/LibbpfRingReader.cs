using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Reads the ring of a small BPF object (deny's denials, failed execs) with libbpf's
/// ring_buffer on a thread of its own, and hands each record to its owner. Those records are
/// rare, so libbpf's reader (an epoll wait, a callback per record) is cheap enough; the exec
/// capture's ring is on the hot path and is read by <see cref="MmapRingBuffer"/> instead.
/// </summary>
internal sealed unsafe class LibbpfRingReader : IDisposable
{
    /// <summary>One record as the kernel wrote it, valid only during the call.</summary>
    internal delegate void RecordHandler(ReadOnlySpan<byte> record);

    /// <summary>
    /// The thread sleeps at most this long in a poll: the longest a record written without a
    /// wakeup waits, and how often <c>afterEachPoll</c> runs when nothing comes.
    /// </summary>
    private const int PollTimeoutMs = 100;

    private readonly RecordHandler _onRecord;
    private readonly IEventSink _sink;
    private readonly string _ringName;
    private readonly string _recordName;
    private GCHandle _self;
    private nint _ring;
    private Thread? _thread;
    private Action? _afterEachPoll;
    private volatile bool _stopping;
    private int _disposed;

    private LibbpfRingReader(RecordHandler onRecord, IEventSink sink, string ringName, string recordName)
    {
        _onRecord = onRecord;
        _sink = sink;
        _ringName = ringName;
        _recordName = recordName;
    }

    /// <summary>
    /// Opens the reader of ring map <paramref name="ringMapFd"/>; null with the errno when libbpf
    /// cannot (the caller words it). Nothing is read before <see cref="Start"/>.
    /// </summary>
    /// <param name="onRecord">Called on the reader's thread for each record; what it throws is a fault of the watch.</param>
    /// <param name="sink">Where faults go (a ring that cannot be read, a record that cannot be handled).</param>
    /// <param name="ringName">The ring as a fault names it ("denial ring").</param>
    /// <param name="recordName">One record as a fault names it ("a denial").</param>
    internal static LibbpfRingReader? TryOpen(int ringMapFd, RecordHandler onRecord, IEventSink sink, string ringName, string recordName, out int errno)
    {
        var reader = new LibbpfRingReader(onRecord, sink, ringName, recordName);
        reader._self = GCHandle.Alloc(reader);
        reader._ring = Libbpf.ring_buffer__new(ringMapFd, &OnSample, GCHandle.ToIntPtr(reader._self), null);
        errno = reader._ring == 0 ? Marshal.GetLastPInvokeError() : 0;
        if (reader._ring != 0)
            return reader;
        reader.Dispose();
        return null;
    }

    /// <summary>Starts thread <paramref name="threadName"/>.</summary>
    /// <param name="afterEachPoll">Runs on that thread after each poll and once more when the reader stops (e.g. to post the kernel's drop count); or null.</param>
    internal void Start(string threadName, Action? afterEachPoll = null)
    {
        _afterEachPoll = afterEachPoll;
        _thread = new Thread(PollLoop) { IsBackground = true, Name = threadName };
        _thread.Start();
    }

    private void PollLoop()
    {
        while (!_stopping)
        {
            int rc = Libbpf.ring_buffer__poll(_ring, PollTimeoutMs);
            if (rc < 0 && rc != -Libc.EINTR)
            {
                _sink.Fault(new ProcWatchException(FailureKind.SystemError, $"reading the {_ringName} failed: " + Marshal.GetPInvokeErrorMessage(-rc)));
                return;
            }
            // Records written without a wakeup are read here at the latest: poll reads nothing
            // on a timeout, and a ring that filled up in a storm sends no wakeup again (a full
            // ring takes no record, so none carries one). Nothing there costs no system call.
            if (rc == 0)
                Libbpf.ring_buffer__consume(_ring);
            _afterEachPoll?.Invoke();
        }
    }

    [UnmanagedCallersOnly]
    private static int OnSample(nint ctx, void* data, nuint size)
    {
        if (GCHandle.FromIntPtr(ctx).Target is not LibbpfRingReader self)
            return 0;
        try
        {
            self._onRecord(new ReadOnlySpan<byte>(data, (int)Math.Min(size, int.MaxValue)));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            self._sink.Fault(new ProcWatchException(FailureKind.SystemError, $"handling {self._recordName} failed: " + e.Message, e));
            return -1;
        }
        return 0;
    }

    /// <summary>Stops the thread, hands on what is already in the ring, and frees the reader (the ring's map stays its object's).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stopping = true;
        if (_thread is { IsAlive: true } t && t != Thread.CurrentThread)
            t.Join();
        if (_ring != 0)
        {
            Libbpf.ring_buffer__consume(_ring); // what is already there still reaches the owner
            _afterEachPoll?.Invoke();
            Libbpf.ring_buffer__free(_ring);
            _ring = 0;
        }
        if (_self.IsAllocated)
            _self.Free();
    }
}
