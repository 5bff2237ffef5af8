using System.Diagnostics.CodeAnalysis;
using ProcWatch.Core;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.Connector;
using ProcWatch.Kernel;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// The proc connector with exact argv: every connector event passes through
/// <see cref="ExecArgvJoin"/>, which gives each exec the argv the eBPF program captured.
/// Ring-buffer drops are reported as <see cref="LostEvent"/>s (<see cref="LossReason.RingBufferFull"/>).
/// </summary>
internal sealed class EbpfExecSource : IEventSource
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(100);

    private readonly ConnectorEventSource _connector;
    private readonly ExecArgvJoin _join;
    private readonly ExecCapture _capture;
    private readonly KernelClock _clock;
    private Timer? _timer;
    private IEventSink? _sink;
    private readonly Lock _dropsGate = new();
    private ulong _reportedDrops;
    private int _disposed;

    private EbpfExecSource(ConnectorEventSource connector, ExecArgvJoin join, ExecCapture capture, KernelClock clock)
    {
        _connector = connector;
        _join = join;
        _capture = capture;
        _clock = clock;
        join.BeforeExec = capture.DrainNow;
        join.ExpectForkRecords = capture.ForkAttached;
    }

    public string Name => "ebpf+connector";

    /// <summary>The connector underneath (diagnostics).</summary>
    public ConnectorEventSource Connector => _connector;

    /// <summary>How the exec program is attached (tp_btf, raw_tp or tracepoint).</summary>
    public string AttachMode => _capture.AttachMode;

    /// <summary>Forks carry the child's kernel start time; exits carry CPU time and peak RSS.</summary>
    public bool ForkAttached => _capture.ForkAttached;

    public bool ExitAttached => _capture.ExitAttached;

    /// <summary>Why the fork or exit program did not attach.</summary>
    public IReadOnlyList<AttachAttempt> LifecycleFailures => _capture.LifecycleFailures;

    /// <summary>Connector execs that got their argv from eBPF.</summary>
    public long MatchedExecs => _join.Matched;

    /// <summary>eBPF execs reported without a connector event (the connector lost it).</summary>
    public long OrphanExecs => _join.Orphans;

    /// <summary>Connector execs without an eBPF record (argv read from /proc).</summary>
    public long UnmatchedExecs => _join.Unmatched;

    /// <summary>
    /// Loads the eBPF program now (so a caller can fall back when it cannot), capturing from
    /// this moment; the connector subscribes in <see cref="Start"/>. False with the failure.
    /// </summary>
    public static bool TryCreate(ConnectorEventSource connector, [NotNullWhen(true)] out EbpfExecSource? source, out Failure failure, ExecCaptureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connector);
        var clock = KernelClock.Shared;
        var join = new ExecArgvJoin(clock, AccountNames.Shared);
        if (!ExecCapture.TryStartAll(join.OnRecord, options ?? ExecCaptureOptions.Default, out ExecCapture? capture, out failure))
        {
            source = null;
            return false;
        }
        source = new EbpfExecSource(connector, join, capture, clock);
        return true;
    }

    public void Start(IEventSink sink, WatcherStatistics statistics)
    {
        _sink = sink;
        _join.Attach(sink, statistics);
        _connector.Start(_join, statistics);
        _timer = new Timer(_ => Tick(), null, TickInterval, TickInterval);
    }

    private void Tick()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        try
        {
            _join.Expire();
            ReportDrops();
            if (_capture.Fault is { } fault && Interlocked.Exchange(ref _faultReported, 1) == 0)
                _sink?.Fault(new ProcWatchException($"eBPF exec capture stopped: {fault.Message}", fault));
        }
        catch (ObjectDisposedException)
        {
            // A tick that raced Dispose: nothing left to report.
        }
    }

    private int _faultReported;

    private void ReportDrops()
    {
        long missing;
        ulong drops;
        lock (_dropsGate)
        {
            drops = _capture.Drops;
            if (drops <= _reportedDrops || _sink is null)
            {
                return;
            }
            missing = (long)(drops - _reportedDrops);
            _reportedDrops = drops;
        }
        // Through the join, so it is ordered with the connector's events; the pipeline counts it.
        _join.Post(LostEvents.Now(EventOrigin.Ebpf, LossReason.RingBufferFull, missing, _clock));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _timer?.Dispose();
        // Connector first (it drains what the kernel queued), then what the ring still holds.
        _connector.Dispose();
        _capture.DrainNow();
        ReportDrops();
        _join.Flush();
        _capture.Dispose();
    }
}
