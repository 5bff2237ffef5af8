using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Interop;
using ProcWatch.Kernel;

namespace ProcWatch.Kernel.Connector;

/// <summary>
/// Receives proc connector events on a dedicated thread: poll(socket, wake-up eventfd),
/// then drain the socket without blocking, parse each datagram in place, and post typed
/// events. The receive buffer is reused; only the event objects are allocated.
/// </summary>
internal sealed class ConnectorEventSource : IEventSource
{
    private const int FinalDrainDatagrams = 64 * 1024;

    /// <summary>
    /// After a wake-up that found events, the thread waits this long (on the wake-up eventfd, so
    /// a stop still ends it at once) before receiving again: a steady stream is then received
    /// in one recvmmsg per window instead of one wake-up per datagram. On a VM a wake-up costs
    /// more than the events it brings: at 1,600 exec/s procwatch used 9.5 % of a core with
    /// none, ~6.4 % with 1 ms, ~4.4 % with 16 ms (bench/README.md: receive coalescing). Events
    /// keep their kernel timestamps; they reach the outputs up to this much later (the
    /// consumer adds at most its own <see cref="Watching.EventConsumer.CoalesceNs"/>). Only with a
    /// receive buffer that holds such a window of a storm many times over.
    /// </summary>
    internal const int CoalesceMs = 16;
    private const int CoalesceMinBufferBytes = 1 << 20;

    private readonly ProcessEventKinds _kinds;
    private readonly ProcessEventKinds _postedKinds; // _kinds without what is subscribed only to be counted
    private readonly ProcessEventKinds _countOnly;
    private readonly LifecycleCrossCheck? _crossCheck;
    private readonly IKernelLifecycleCounter? _kernelCount;
    private readonly int _receiveBufferBytes;
    private readonly KernelClock _clock;
    private ProcConnectorSocket? _socket;
    private WakeEvent? _wake;
    private Thread? _thread;
    private volatile bool _stopping;
    private IEventSink? _sink;
    private WatcherStatistics? _statistics;
    private readonly SequenceGapDetector _gaps = new();

    public ConnectorEventSource(ProcessEventKinds kinds, int receiveBufferBytes, KernelClock? clock = null)
    {
        _kinds = kinds;
        _postedKinds = kinds;
        _receiveBufferBytes = receiveBufferBytes;
        _clock = clock ?? KernelClock.Shared;
    }

    /// <summary>
    /// Beside the eBPF source: the process forks, execs and exits in <paramref name="countOnly"/>
    /// are built from the ring, so here they are only counted for <paramref name="crossCheck"/>
    /// (thread clones and exits are still posted when wanted). The kernel is asked for them
    /// whatever <paramref name="kinds"/> says.
    /// </summary>
    /// <remarks>
    /// With <paramref name="kernelCount"/> (the counting socket filter loaded with the capture)
    /// they are counted in the kernel and never copied here: the filter is attached to this
    /// source's socket at <see cref="Start"/>; when that fails they are counted here.
    /// </remarks>
    public ConnectorEventSource(ProcessEventKinds kinds, int receiveBufferBytes, ProcessEventKinds countOnly, LifecycleCrossCheck crossCheck,
        IKernelLifecycleCounter? kernelCount = null)
        : this(kinds | countOnly, receiveBufferBytes)
    {
        _countOnly = countOnly & (ProcessEventKinds.Fork | ProcessEventKinds.Exec | ProcessEventKinds.Exit);
        _crossCheck = crossCheck;
        _postedKinds = kinds;
        _kernelCount = kernelCount;
    }

    /// <summary>
    /// Posts what an earlier kernel buffer holds (the eBPF ring): called before each event this
    /// source posts and after each receive window, so that a record the kernel wrote before a
    /// connector event enters the pipeline before it, and a storm's records within one window.
    /// </summary>
    internal Action? DrainEarlierRecords { get; set; }

    public string Name => "connector";

    /// <summary>True when the kernel filters by event type (Linux 6.6+ and not all kinds wanted).</summary>
    public bool KernelFiltered => _socket?.KernelFiltered ?? false;

    /// <summary>
    /// True when the count-only forks, execs and exits are counted by the socket filter in the
    /// kernel (and never received here); false when they are received and counted here.
    /// </summary>
    public bool KernelCounted { get; internal set; } // set by Start; tests set it to dispatch fixtures as a kernel-counted source

    private long _countedHere;
    private long _countFromNs = long.MaxValue;

    /// <summary>
    /// Count-only events stamped since the cross-check began that were received and counted
    /// here: all of them without <see cref="KernelCounted"/>, none with it (the filter's).
    /// </summary>
    internal long CountedHere => Volatile.Read(ref _countedHere);

    /// <summary>True when some kinds are received only to be counted for the cross-check (beside the eBPF source).</summary>
    public bool CountsOnly => _countOnly != 0;

    /// <summary>Why the count-only kinds are counted here although the capture was asked to count them in the kernel, or null.</summary>
    public string? KernelCountFallback { get; internal set; }

    public int ReceiveBufferBytes => _socket?.ReceiveBufferBytes ?? 0;

    /// <summary>
    /// Sequence numbers show losses only when every numbered message reaches this socket: the
    /// 6.6 kernel filter and the counting filter both drop messages after they were numbered.
    /// </summary>
    private bool SequenceGapsMeanLoss => !KernelFiltered && !KernelCounted;

    /// <summary>Linux 6.6 added struct proc_input; earlier kernels ignore an 8-byte subscription.</summary>
    public static bool KernelSupportsFilter => Environment.OSVersion.Version >= new Version(6, 6);

    public void Start(IEventSink sink, WatcherStatistics statistics)
    {
        Attach(sink, statistics);
        _socket = ProcConnectorSocket.Open(_receiveBufferBytes);
        _wake = WakeEvent.Create();
        // Before subscribing: no datagram is ever queued unfiltered. Until Begin below the
        // filter passes everything (and the cross-check counts nothing yet).
        bool filterAttached = false;
        if (_kernelCount is not null && _countOnly != 0)
        {
            int errno = _socket.AttachFilter(_kernelCount.ProgramFd);
            filterAttached = errno == 0;
            if (!filterAttached)
                KernelCountFallback = $"the counting socket filter did not attach: {FailureText.Errno(errno)}";
        }
        // Subscribed before the thread starts: the kernel queues events in the socket buffer from here on.
        _socket.Subscribe(_kinds, KernelSupportsFilter); // count-only kinds included
        long from = KernelClock.MonotonicNs();
        _countFromNs = from;
        // An event stamped from `from` on is counted once: by the filter once Begin has
        // written the stamp, else (just before) by Dispatch here.
        if (filterAttached && _kernelCount!.Begin(from, ProcEventKindMap.ToKernelMask(_countOnly)))
        {
            KernelCounted = true;
            _crossCheck!.BeginKernelCounted(from);
        }
        else
        {
            if (filterAttached)
                KernelCountFallback = "the counting socket filter's settings could not be written";
            _crossCheck?.Begin(from);
        }
        _thread = new Thread(ReceiveLoop) { IsBackground = true, Name = "procwatch-connector" };
        _thread.Start();
    }

    /// <summary>Where <see cref="Dispatch"/> delivers; separate from <see cref="Start"/> so parsing can be tested without a socket.</summary>
    internal void Attach(IEventSink sink, WatcherStatistics statistics)
    {
        _sink = sink;
        _statistics = statistics;
    }

    private void ReceiveLoop()
    {
        try
        {
            ReceiveUntilStopped();
        }
        catch (Exception ex)
        {
            _sink!.Fault(new ProcWatchException($"proc connector receive failed: {ex.GetType().Name}: {ex.Message}", ex));
        }
    }

    private unsafe void ReceiveUntilStopped()
    {
        RealtimeScheduling.ApplyToCurrentThreadIfRequested();
        int fd = _socket!.Fd;
        Libc.pollfd* fds = stackalloc Libc.pollfd[2];
        fds[0] = new Libc.pollfd { fd = fd, events = Libc.POLLIN };
        fds[1] = new Libc.pollfd { fd = _wake!.Fd, events = Libc.POLLIN };

        using var batch = new DatagramBatch();
        bool coalesce = _socket.ReceiveBufferBytes >= CoalesceMinBufferBytes;
        bool pollFirst = true;
        while (!_stopping)
        {
            if (pollFirst)
            {
                fds[0].revents = 0;
                fds[1].revents = 0;
                if (Libc.Poll(fds, 2, -1) < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EINTR) continue;
                    SocketFailed($"poll: {FailureText.Errno(errno)}");
                    return;
                }
                if (fds[1].revents != 0)
                    break;
            }
            // Drain everything queued before sleeping again.
            if (!Drain(fd, batch, int.MaxValue, stopAware: true, out int taken))
            {
                SocketFailed($"recvmmsg: {FailureText.Errno(Marshal.GetLastPInvokeError())}");
                return;
            }
            if (taken > 0)
                DrainEarlierRecords?.Invoke();
            pollFirst = true;
            if (coalesce && taken > 0)
            {
                // Events are flowing: after the wait, receive straight away (an empty receive
                // falls back to poll), so a steady stream costs the wait and one recvmmsg.
                fds[1].revents = 0;
                Libc.Poll(&fds[1], 1, CoalesceMs); // EINTR or a stop: the loop sees it
                pollFirst = false;
            }
        }
        // Stopping: what the kernel queued before the stop is still delivered (SIGTERM
        // flushes everything that happened before it); bounded so a storm cannot hold the stop up.
        Drain(fd, batch, FinalDrainDatagrams, stopAware: false, out _);
    }

    /// <summary>
    /// Receives and dispatches until the socket is empty; false when the socket is gone.
    /// One recvmmsg takes every queued datagram up to a batch: a call that returns fewer than
    /// a batch has emptied the socket, so the common wake-up costs poll + one receive call
    /// (bench/README.md: recv vs recvmmsg vs async socket).
    /// </summary>
    private unsafe bool Drain(int fd, DatagramBatch batch, int limit, bool stopAware, out int taken)
    {
        for (taken = 0; taken < limit && !(stopAware && _stopping);)
        {
            int received = batch.Receive(fd);
            if (received > 0)
            {
                for (int i = 0; i < received; i++)
                {
                    if (batch.Truncated(i))
                        _statistics!.OnMalformed(); // never from the proc connector: its messages are < 128 bytes
                    else
                        Dispatch(batch.Datagram(i));
                }
                taken += received;
                if (received < DatagramBatch.Capacity)
                    return true;
                continue;
            }
            if (received == 0) return true;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EAGAIN) return true;
            if (errno == Libc.EINTR) continue;
            if (errno == Libc.ENOBUFS)
            {
                ReportOverrun();
                continue;
            }
            return false; // the socket is gone
        }
        return true;
    }

    private void SocketFailed(string what)
    {
        if (!_stopping)
            _sink!.Fault(new ProcWatchException(FailureKind.SystemError, $"the proc connector socket failed ({what}); no more events can be received"));
    }

    private void ReportOverrun()
    {
        _sink!.Post(LostEvents.Now(EventOrigin.Connector, LossReason.KernelBufferOverrun, 0, _clock));
    }

    /// <summary>A jump in a CPU's sequence numbers: that many events were lost (see <see cref="SequenceGapDetector"/>).</summary>
    private void ReportGap(long missing)
    {
        if (missing <= 0)
            return;
        _sink!.Post(LostEvents.Now(EventOrigin.Connector, LossReason.SequenceGap, missing, _clock));
    }

    internal void Dispatch(ReadOnlySpan<byte> datagram)
    {
        var reader = new ConnectorDatagramReader(datagram);
        while (true)
        {
            ConnectorReadResult result = reader.Read(out ProcEventRecord record);
            if (result == ConnectorReadResult.End)
                return;
            if (result == ConnectorReadResult.Malformed)
            {
                _statistics!.OnMalformed();
                return;
            }
            // Every subscribe and unsubscribe on the machine, by any client, is answered with a
            // PROC_EVENT_NONE ack broadcast to every unfiltered listener, and send_msg() gives it
            // the next number of the sending CPU's counter like any event: skipping it made each
            // one a false one-event "loss". So acks are sequence points too (old kernels sent
            // acks with cpu = -1 and the client's own seq; the detector ignores that cpu).
            if (result == ConnectorReadResult.Ack && SequenceGapsMeanLoss)
                ReportGap(_gaps.Observe(record.Cpu, record.Seq));
            if (result != ConnectorReadResult.Event)
                continue;
            if (SequenceGapsMeanLoss)
                ReportGap(_gaps.Observe(record.Cpu, record.Seq));
            ProcessEventKinds kind = ProcEventKindMap.KindOf(record);
            if ((kind & _countOnly) != 0 && record.ProcessPid == record.ProcessTgid)
            {
                if ((long)record.TimestampNs >= _countFromNs)
                    _countedHere++;
                _crossCheck!.OnConnector(kind switch
                {
                    ProcessEventKinds.Fork => Lifecycle.Fork,
                    ProcessEventKinds.Exec => Lifecycle.Exec,
                    _ => Lifecycle.Exit,
                }, (long)record.TimestampNs);
                continue;
            }
            // User-space filter: the kernel may send more than asked (old kernels, fork vs clone).
            if ((_postedKinds & kind) == 0)
                continue;
            DrainEarlierRecords?.Invoke();
            _sink!.Post(ProcEventFactory.Create(record, _clock));
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake?.Signal();
        _thread?.Join();
        _socket?.Dispose();
        _wake?.Dispose();
    }
}
