using System.Diagnostics.CodeAnalysis;
using ProcWatch.Core;
using ProcWatch.Events;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Forks, execs and exits built from the eBPF ring alone: each event is made from the one
/// record the kernel wrote for it (exact argv, paths, credentials, start time, exit status,
/// CPU time), and carries that record for the assembler (<see cref="ProcessEvent.Record"/>).
/// Nothing is paired with the proc connector; the connector, a separate source, serves the
/// other kinds and counts its own forks, execs and exits for <see cref="LifecycleCrossCheck"/>.
/// Records the ring could not hold are read from the kernel's counters and reported as
/// <see cref="LossReason.RingBufferFull"/>; a shortfall the cross-check finds beyond them as
/// <see cref="LossReason.CrossCheck"/>.
/// </summary>
internal sealed class EbpfExecSource : IEventSource
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Ticks between cross-check judgements (1 s, the window's length).</summary>
    private const int TicksPerWindow = 10;

    private readonly ExecCaptureOptions _options;
    private readonly ProcessEventKinds _kinds;
    private readonly LifecycleCrossCheck? _crossCheck;
    private readonly RepeatedExits _repeatedExits = new();

    /// <summary>The completeness check this source feeds (tests wait on its judged windows).</summary>
    internal LifecycleCrossCheck? CrossCheck => _crossCheck;
    private readonly KernelClock _clock;
    private ExecCapture? _capture;
    private IEventSink? _sink;
    private WatcherStatistics? _statistics;
    private Thread? _ticker;
    private readonly ManualResetEventSlim _stopTicking = new(false, spinCount: 0);
    private readonly Lock _dropsGate = new();
    private ulong _reportedExecDrops, _reportedForkDrops, _reportedExitDrops, _reportedMarkerDrops, _reportedLeaderExits;
    private ulong _reportedTreeFull;
    private long _treeFullReportedNs = long.MinValue;
    private int _ticks;
    private int _faultReported;
    private int _disposed;

    private EbpfExecSource(ProcessEventKinds kinds, LifecycleCrossCheck? crossCheck, ExecCaptureOptions options)
    {
        _kinds = kinds;
        _crossCheck = crossCheck;
        _options = options;
        _clock = KernelClock.Shared;
    }

    public string Name => "ebpf";

    private ExecCapture Capture => _capture!;

    /// <summary>How the exec program is attached (tp_btf, raw_tp or tracepoint).</summary>
    public string AttachMode => Capture.AttachMode;

    /// <summary>Forks come from the ring (the fork program attached).</summary>
    public bool ForkAttached => Capture.ForkAttached;

    /// <summary>Exits come from the ring (the exit program attached).</summary>
    public bool ExitAttached => Capture.ExitAttached;

    /// <summary>Why the fork or exit program did not attach.</summary>
    public IReadOnlyList<AttachAttempt> LifecycleFailures => Capture.LifecycleFailures;

    /// <summary>
    /// The connector counting filter loaded with the capture (the connector attaches it to its
    /// socket), or null: then the connector counts its copies in user space.
    /// </summary>
    public IKernelLifecycleCounter? ConnectorCounter => Capture.ConnectorCount;

    /// <summary>Why the counting filter did not load with the capture, when it did not.</summary>
    public Failure? ConnectorCounterFailure => Capture.ConnectorCountFailure;

    /// <summary>
    /// The kinds this source builds: exec always; fork and exit when their programs attached
    /// (else the connector must post them: the selector asks).
    /// </summary>
    public ProcessEventKinds Serves =>
        ProcessEventKinds.Exec | (ForkAttached ? ProcessEventKinds.Fork : 0) | (ExitAttached ? ProcessEventKinds.Exit : 0);

    /// <summary>
    /// Loads and attaches the programs now (so a caller can fall back when they cannot load),
    /// capturing from this moment; records wait in the ring until <see cref="Start"/>. False
    /// with the failure. Posts only <paramref name="kinds"/>.
    /// </summary>
    public static bool TryCreate(ProcessEventKinds kinds, LifecycleCrossCheck? crossCheck, [NotNullWhen(true)] out EbpfExecSource? source, out Failure failure, ExecCaptureOptions? options = null)
    {
        var created = new EbpfExecSource(kinds, crossCheck, options ?? ExecCaptureOptions.Default);
        if (!ExecCapture.TryStartCore(created.OnRecord, created._options, startThread: false, out ExecCapture? capture, out failure))
        {
            source = null;
            return false;
        }
        created._capture = capture;
        source = created;
        return true;
    }

    public void Start(IEventSink sink, WatcherStatistics statistics)
    {
        _sink = sink;
        _statistics = statistics;
        Capture.StartDraining();
        // A thread of its own rather than a Timer: a timer tick wakes the timer thread and
        // then a thread-pool worker, which spins before it sleeps again; ten times a second
        // that was ~3 ms of CPU per second (a tenth of procwatch's CPU in an exec storm).
        _ticker = new Thread(TickLoop) { IsBackground = true, Name = "procwatch-tick" };
        _ticker.Start();
    }

    private void TickLoop()
    {
        while (!_stopTicking.Wait(TickInterval))
            Tick();
    }

    /// <summary>
    /// Posts every record already in the ring, on the calling thread (the connector calls it
    /// before each event it posts, so a record the kernel wrote before that event goes first).
    /// </summary>
    public void DrainNow()
    {
        if (_sink is not null)
            Capture.DrainNow();
    }

    /// <summary>One record from the ring (the capture thread, or a <see cref="DrainNow"/> caller; one at a time).</summary>
    private void OnRecord(KernelRecord record)
    {
        if (_options.DiscardForTest?.Invoke(record) == true)
            return;
        long at = (long)record.KernelTimeNs;
        switch (record)
        {
            case ExecRecord exec:
                _crossCheck?.OnRing(Lifecycle.Exec, at);
                // A thread other than the leader exec'd: the connector reports the old leader's
                // exit as a process exit; the exit program marks it as a main thread that left
                // early (a RECORD_FILTERED marker for RECORD_EXIT, below).
                if ((_kinds & ProcessEventKinds.Exec) != 0)
                {
                    _sink!.Post(new ExecEvent
                    {
                        KernelTimeNs = at, Timestamp = _clock.ToWallClock(at), Pid = exec.Tgid, Tid = exec.Tgid,
                        Origin = EventOrigin.Ebpf, Record = exec,
                    });
                }
                break;
            case ForkRecord fork:
                _crossCheck?.OnRing(Lifecycle.Fork, at);
                if ((_kinds & ProcessEventKinds.Fork) != 0)
                {
                    _sink!.Post(new ForkEvent
                    {
                        KernelTimeNs = at, Timestamp = _clock.ToWallClock(at), Pid = fork.Tgid, Tid = fork.Tgid,
                        ParentPid = fork.ParentTgid, ParentTid = fork.ParentTgid, Origin = EventOrigin.Ebpf, Record = fork,
                        CreatorPid = fork.CreatorTgid != 0 && fork.CreatorTgid != fork.ParentTgid ? fork.CreatorTgid : null,
                    });
                }
                break;
            case FilteredRecord { FilteredKind: record_kind.RECORD_EXEC }:
                // The kernel's tree filter (-p) left this exec out on purpose: the connector
                // still counts it, so the cross-check counts its marker; -S counts it as the
                // exec the enrichment's filter would have dropped, as without the kernel filter.
                _crossCheck?.OnRing(Lifecycle.Exec, at);
                if ((_kinds & ProcessEventKinds.Exec) != 0)
                    _statistics?.OnEvent(ProcessEventKind.Exec);
                break;
            case FilteredRecord { FilteredKind: record_kind.RECORD_EXIT }:
                // A main thread left while other threads ran on: the connector reports the
                // process's exit now, so it is counted now; the exit record, with the last thread, is not.
                _crossCheck?.OnRing(Lifecycle.Exit, at);
                break;
            case ExitRecord exit:
                // The process's exit as the connector reports it is its main thread's: when the
                // last thread is another, the main thread's marker was counted when it left.
                if (!exit.AfterLeader)
                    _crossCheck?.OnRing(Lifecycle.Exit, at);
                if ((_kinds & ProcessEventKinds.Exit) != 0 && !_repeatedExits.IsRepeat(exit))
                {
                    _sink!.Post(new ExitEvent
                    {
                        KernelTimeNs = at, Timestamp = _clock.ToWallClock(at), Pid = exit.Tgid, Tid = exit.Tgid,
                        Status = new WaitStatus((uint)exit.ExitCode),
                        UserCpu = exit.UserCpu, SystemCpu = exit.SystemCpu, PeakRssBytes = exit.PeakRssBytes,
                        Origin = EventOrigin.Ebpf, Record = exit,
                    });
                }
                break;
        }
    }

    /// <summary>Every <see cref="TickInterval"/>: the ring's drops, each second the cross-check, a capture fault (the ticker thread).</summary>
    private void Tick()
    {
        if (Volatile.Read(ref _disposed) != 0)
            return;
        try
        {
            ReportDrops();
            ReportTreeFull(final: false);
            if (++_ticks % TicksPerWindow == 0 && _crossCheck is not null)
            {
                DrainNow(); // the ring's count up to now
                long now = KernelClock.MonotonicNs();
                ReadKernelCounts(now);
                if (_crossCheck.Close(now) is > 0 and long shortfall)
                    _sink?.Post(LostEvents.Now(EventOrigin.Ebpf, LossReason.CrossCheck, shortfall, _clock));
                if (_crossCheck.TakeSkipped() is > 0 and long skipped)
                    _sink?.Post(LostEvents.Now(EventOrigin.Ebpf, LossReason.CrossCheckSkipped, skipped, _clock));
            }
            if (Capture.Fault is { } fault && Interlocked.Exchange(ref _faultReported, 1) == 0)
                _sink?.Fault(new ProcWatchException($"eBPF exec capture stopped: {fault.Message}", fault));
        }
        catch (ObjectDisposedException)
        {
            // A tick that raced Dispose: nothing left to report.
        }
    }

    /// <summary>
    /// The connector's copies its socket filter counted, for each window not judged yet (read
    /// after <paramref name="nowNs"/>, so every window <see cref="LifecycleCrossCheck.Close"/>
    /// judges at it is complete; the open ones are totals so far): one map lookup per window.
    /// </summary>
    private void ReadKernelCounts(long nowNs)
    {
        if (!_crossCheck!.CountsInKernel || Capture.ConnectorCount is not { } counter)
            return;
        Span<long> counts = stackalloc long[3];
        long last = nowNs / LifecycleCrossCheck.WindowNs; // its count so far: a total, read again next tick
        long first = Math.Max(_crossCheck.FirstOpenWindow, last - (conn_count.Slots - 1));
        for (long window = first; window <= last; window++)
        {
            counts.Clear();
            if (!counter.ReadWindow(window, counts))
                continue;
            _crossCheck.SetConnectorCount(Lifecycle.Fork, window, counts[(int)Lifecycle.Fork]);
            _crossCheck.SetConnectorCount(Lifecycle.Exec, window, counts[(int)Lifecycle.Exec]);
            _crossCheck.SetConnectorCount(Lifecycle.Exit, window, counts[(int)Lifecycle.Exit]);
        }
    }

    /// <summary>
    /// Records the kernel could not put in the ring, since the last report: one loss report, and
    /// the cross-check told. Also tells it of main threads that exited early (no loss).
    /// </summary>
    private void ReportDrops()
    {
        long missing;
        lock (_dropsGate)
        {
            if (_sink is null)
                return;
            long now = KernelClock.MonotonicNs();
            if (_crossCheck is not null)
            {
                ulong leaderExits = Capture.LeaderExitsEarly;
                _crossCheck.OnLeaderExitedEarly((long)(leaderExits - _reportedLeaderExits), now);
                _reportedLeaderExits = leaderExits;
            }
            ulong exec = Capture.Drops, fork = Capture.ForkDrops, exit = Capture.ExitDrops;
            long newExec = (long)(exec - _reportedExecDrops), newFork = (long)(fork - _reportedForkDrops), newExit = (long)(exit - _reportedExitDrops);
            (_reportedExecDrops, _reportedForkDrops, _reportedExitDrops) = (exec, fork, exit);
            // A filtered exec's marker the ring could not hold is no lost event (it was filtered
            // out), but the cross-check would count it short: credit it. A real record the ring
            // could not hold is counted above.
            ulong markers = Capture.MarkerDrops;
            long newMarkers = (long)(markers - _reportedMarkerDrops);
            _reportedMarkerDrops = markers;
            if (newMarkers > 0)
                _crossCheck?.OnRingDropped(Lifecycle.Exec, newMarkers, now);
            missing = newExec + newFork + newExit;
            if (missing <= 0)
                return;
            _crossCheck?.OnRingDropped(Lifecycle.Exec, newExec, now);
            _crossCheck?.OnRingDropped(Lifecycle.Fork, newFork, now);
            _crossCheck?.OnRingDropped(Lifecycle.Exit, newExit, now);
        }
        _sink.Post(LostEvents.Now(EventOrigin.Ebpf, LossReason.RingBufferFull, missing, _clock));
    }

    /// <summary>
    /// The kernel's tree map (<c>-p</c>, bpf/capture_filter.h) was full: its filter lets every
    /// exec through from then on. Nothing is lost (user space still decides), but it is said the
    /// way user space's own member bound is: a <see cref="LossReason.TreeBound"/> report with
    /// the processes the map could not hold, the first at once, then at most once a second
    /// (and what is left at the stop). The tick thread, or the stop after it.
    /// </summary>
    private void ReportTreeFull(bool final)
    {
        if (_sink is null || !_options.FiltersInKernel)
            return;
        long now = KernelClock.MonotonicNs();
        if (!final && _treeFullReportedNs != long.MinValue && now - _treeFullReportedNs < TreeFullReportIntervalNs)
            return;
        ulong full = Capture.TreeFull;
        if (full == _reportedTreeFull)
            return;
        long count = (long)(full - _reportedTreeFull);
        _reportedTreeFull = full;
        _treeFullReportedNs = now;
        _sink.Post(LostEvents.Now(EventOrigin.Ebpf, LossReason.TreeBound, count, _clock));
    }

    private const long TreeFullReportIntervalNs = 1_000_000_000;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stopTicking.Set();
        if (_ticker is not null && _ticker != Thread.CurrentThread)
            _ticker.Join();
        if (_capture is null)
            return;
        // What the ring still holds, then the drops up to now: every record written before the stop is delivered or reported.
        DrainNow();
        ReportDrops();
        ReportTreeFull(final: true);
        _capture.Dispose();
    }
}
