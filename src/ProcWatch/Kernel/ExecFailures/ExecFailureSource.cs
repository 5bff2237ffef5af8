using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Kernel.ExecFailures;

/// <summary>
/// Failed exec attempts as an event source (<c>-e execfail</c>): loads exec_failure.bpf.o and
/// posts an <see cref="ExecFailedEvent"/> for every record of its ring (thread
/// <c>procwatch-execfail</c>). Records the ring could not hold are counted in the kernel and
/// posted as <see cref="LostEvent"/>s (<see cref="LossReason.RingBufferFull"/>), so a flood of
/// failures loses events loudly, never silently. Not pinned: disposing it, or the death of
/// the process, detaches the program.
/// </summary>
internal sealed class ExecFailureSource : IEventSource
{
    private const string EventsMap = "execfail_events";
    private const string CountersMap = "execfail_counters";

    /// <summary>exec_failure.bpf.o: its sys_exit program, tp_btf else raw_tp (both attach without tracefs).</summary>
    private static readonly SmallBpfObject.Layout s_object = new(
        ResourceName: "ExecFailures.BpfObject",
        Subject: "the failed-exec eBPF object",
        ScratchMap: "execfail_scratch",
        RequiredMaps: [EventsMap, CountersMap],
        AttachLadder: [("tp_btf", "execfail_exit_btf"), ("raw_tp", "execfail_exit_raw")]);

    private readonly KernelClock _clock = KernelClock.Shared;
    private SmallBpfObject? _program;
    private int _countersFd;
    private LibbpfRingReader? _reader;
    private IEventSink? _sink;
    private ulong _dropsReported;
    private long _malformed;
    private long _delivered;
    private int _disposed;

    public string Name => "execfail";

    /// <summary>The hook in force (tp_btf or raw_tp) once started.</summary>
    internal string? AttachMode => _program?.AttachMode;

    /// <summary>Failures the kernel could not put in the ring (each one also reported as a <see cref="LostEvent"/>).</summary>
    internal ulong Drops => _program is null ? 0 : Counter(exec_failure_counter.RING_DROPS) + Counter(exec_failure_counter.SCRATCH_MISSING);

    internal long Delivered => Interlocked.Read(ref _delivered);

    internal long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Loads and attaches the program; throws <see cref="ProcWatchException"/> (one line) when this host cannot.</summary>
    public void Start(IEventSink sink, WatcherStatistics statistics)
    {
        _sink = sink;
        // Its kind sorts the exit code: privilege, or a kernel without the hook.
        if (!SmallBpfObject.TryLoad(s_object, allowedModes: null, out SmallBpfObject? program, out Failure failure))
            throw new ProcWatchException(failure, "failed exec attempts (execfail) unavailable: ");
        _program = program;
        _countersFd = program.MapFd(CountersMap);
        _reader = LibbpfRingReader.TryOpen(program.MapFd(EventsMap), Deliver, sink, "failed-exec ring", "a failed exec", out int errno);
        if (_reader is null)
        {
            Dispose();
            throw new ProcWatchException(FailureKind.SystemError, "failed exec attempts: opening the ring failed: " + FailureText.Errno(errno));
        }
        // The program wakes the reader at most every 10 ms (exec_failure.bpf.c); what it wrote
        // without a wakeup is read on the reader's poll timeout.
        _reader.Start("procwatch-execfail", afterEachPoll: ReportDrops);
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

    private ulong Counter(exec_failure_counter index) => _program!.SumPerCpu(_countersFd, (uint)index);

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
        _reader?.Dispose(); // what is already in the ring still reaches the sink, and the last drops
        _program?.Dispose();
    }
}
