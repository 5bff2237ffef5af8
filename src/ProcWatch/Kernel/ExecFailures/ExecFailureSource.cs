using System.Runtime.InteropServices;
using ProcWatch.Events;
using ProcWatch.Core;
using ProcWatch.Interop;
using ProcWatch.Kernel.Accounts;

namespace ProcWatch.Kernel.ExecFailures;

/// <summary>
/// Failed exec attempts as an event source (<c>-e execfail</c>): loads exec_failure.bpf.o and
/// posts an <see cref="ExecFailedEvent"/> for every record of its ring (thread
/// <c>procwatch-execfail</c>). Records the ring could not hold are counted in the kernel and
/// posted as <see cref="LostEvent"/>s (<see cref="LossReason.RingBufferFull"/>), so a flood of
/// failures loses events loudly, never silently.
/// </summary>
internal sealed unsafe class ExecFailureSource : IEventSource
{
    /// <summary>The ring's reader sleeps at most this long; the program wakes it at most every 10 ms (exec_failure.bpf.c).</summary>
    private const int PollTimeoutMs = 100;

    private readonly KernelClock _clock = KernelClock.Shared;
    private ExecFailureProgram? _program;
    private nint _ring;
    private GCHandle _self;
    private Thread? _thread;
    private IEventSink? _sink;
    private volatile bool _stopping;
    private ulong _dropsReported;
    private long _malformed;
    private long _delivered;
    private int _disposed;

    public string Name => "execfail";

    /// <summary>The hook in force (tp_btf or raw_tp) once started.</summary>
    internal string? AttachMode => _program?.AttachMode;

    /// <summary>Failures the kernel could not put in the ring (each one also reported as a <see cref="LostEvent"/>).</summary>
    internal ulong Drops => _program is null ? 0 : _program.ReadCounter(exec_failure_counter.RING_DROPS) + _program.ReadCounter(exec_failure_counter.SCRATCH_MISSING);

    internal long Delivered => Interlocked.Read(ref _delivered);

    internal long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Loads and attaches the program; throws <see cref="ProcWatchException"/> (one line) when this host cannot.</summary>
    public void Start(IEventSink sink, WatcherStatistics statistics)
    {
        _sink = sink;
        if (!ExecFailureProgram.TryLoad(out ExecFailureProgram? program, out string? reason, out FailureKind kind))
            throw new ProcWatchException(kind, "failed exec attempts (execfail) unavailable: " + reason);
        _program = program;
        _self = GCHandle.Alloc(this);
        _ring = Libbpf.ring_buffer__new(program.EventsFd, &OnSample, GCHandle.ToIntPtr(_self), null);
        if (_ring == 0)
        {
            string why = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            Dispose();
            throw new ProcWatchException(FailureKind.SystemError, "failed exec attempts: opening the ring failed: " + why);
        }
        _thread = new Thread(PollLoop) { IsBackground = true, Name = "procwatch-execfail" };
        _thread.Start();
    }

    private void PollLoop()
    {
        while (!_stopping)
        {
            int rc = Libbpf.ring_buffer__poll(_ring, PollTimeoutMs);
            if (rc < 0 && rc != -Libc.EINTR)
            {
                _sink?.Fault(new ProcWatchException(FailureKind.SystemError, "reading the failed-exec ring failed: " + Marshal.GetPInvokeErrorMessage(-rc)));
                return;
            }
            // Records written without a wakeup (within 10 ms of the last one) are read here at
            // the latest: poll reads nothing on a timeout, and a ring that filled up in a storm
            // would send no wakeup again (a full ring takes no record, so none carries one).
            if (rc == 0)
                Libbpf.ring_buffer__consume(_ring);
            ReportDrops();
        }
    }

    /// <summary>Posts what the kernel counted as dropped since the last report, once.</summary>
    private void ReportDrops()
    {
        ulong drops = Drops;
        if (drops <= _dropsReported)
            return;
        long missing = (long)(drops - _dropsReported);
        _dropsReported = drops;
        _sink?.Post(LostEvents.Now(EventOrigin.Ebpf, LossReason.RingBufferFull, missing, _clock));
    }

    [UnmanagedCallersOnly]
    private static int OnSample(nint ctx, void* data, nuint size)
    {
        if (GCHandle.FromIntPtr(ctx).Target is not ExecFailureSource self)
            return 0;
        try
        {
            self.Deliver(new ReadOnlySpan<byte>(data, (int)Math.Min(size, int.MaxValue)));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            self._sink?.Fault(new ProcWatchException(FailureKind.SystemError, "handling a failed exec failed: " + e.Message, e));
            return -1;
        }
        return 0;
    }

    private void Deliver(ReadOnlySpan<byte> sample)
    {
        ExecFailedEvent? failed = ExecFailureRecordParser.TryParse(sample, _clock, AccountNames.Shared);
        if (failed is null)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }
        Interlocked.Increment(ref _delivered);
        _sink?.Post(failed);
    }

    /// <summary>Stops reading and detaches the program.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stopping = true;
        if (_thread is { IsAlive: true } t && t != Thread.CurrentThread)
            t.Join();
        if (_ring != 0)
        {
            Libbpf.ring_buffer__consume(_ring); // what is already there still reaches the sink
            ReportDrops();
            Libbpf.ring_buffer__free(_ring);
            _ring = 0;
        }
        if (_self.IsAllocated)
            _self.Free();
        _program?.Dispose();
    }
}
