using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Interop;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Kernel.ProcScan;

/// <summary>
/// The fallback backend: scans /proc on a dedicated thread, woken by inotify when a program is
/// probably starting (see <see cref="ExecWaker"/>) and by a timer. The thread sleeps in
/// poll(inotify, wake-up eventfd, timeout); a burst of inotify events is drained and
/// coalesced into one scan. Works as any user in any namespace, with blind spots: processes
/// shorter than a scan, no exit codes (<see cref="ExitEvent.Status"/> is null).
/// </summary>
internal sealed class ProcfsEventSource : IEventSource
{
    private readonly ProcfsOptions _options;
    private readonly KernelClock _clock;
    private readonly List<string> _notes = [];
    private ProcScanner? _scanner;
    private ExecWaker? _waker;
    private WakeEvent? _wake;
    private Thread? _thread;
    private volatile bool _stopping;
    private long _inotifyScans;
    private long _timerScans;

    public ProcfsEventSource(ProcfsOptions? options = null, KernelClock? clock = null)
    {
        _options = options ?? new ProcfsOptions();
        if (_options.ScanInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), "The scan interval must be positive.");
        _clock = clock ?? KernelClock.Shared;
    }

    public string Name => "procfs";

    public ProcfsOptions Options => _options;

    /// <summary>What limits this source here (hidepid, inotify unavailable): one line each, for the user.</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>The files and directories whose opens wake a scan (empty without inotify).</summary>
    public IReadOnlyList<string> WatchedPaths => _waker?.WatchedPaths ?? [];

    public long InotifyScans => Interlocked.Read(ref _inotifyScans);
    public long TimerScans => Interlocked.Read(ref _timerScans);
    public long InotifyEvents => _waker?.EventCount ?? 0;

    public void Start(IEventSink sink, WatcherStatistics statistics)
    {
        _sink = sink;
        if (!OperatingSystem.IsLinux())
            throw new ProcWatchException(new Failure(FailureKind.PlatformNotSupported, 0, FailureStep.NotLinux, "/proc"));
        if (ProcMounts.FindHidePid() is { } hidePid && Libc.GetEuid() != 0)
            _notes.Add(hidePid.Describe());
        if ((_options.Kinds & ~(ProcessEventKinds.Fork | ProcessEventKinds.Exec | ProcessEventKinds.Exit | ProcessEventKinds.Lost)) != 0)
            _notes.Add("the procfs backend reports only fork, exec and exit events");

        ProcDirectory proc = ProcDirectory.Open();
        try
        {
            _wake = WakeEvent.Create();
        }
        catch (ProcWatchException)
        {
            proc.Dispose();
            throw;
        }
        if (_options.UseInotify)
        {
            _waker = ExecWaker.Create(out string? problem);
            if (problem is not null)
                _notes.Add(problem);
        }
        _scanner = new ProcScanner(proc, sink, _options, _clock, SystemBoot.Shared);
        // Watches first, then the baseline: a process starting in between is seen by the first scan.
        _scanner.Baseline();
        _thread = new Thread(ScanLoopGuarded) { IsBackground = true, Name = "procwatch-procfs" };
        _thread.Start();
    }

    private IEventSink? _sink;

    private void ScanLoopGuarded()
    {
        try
        {
            ScanLoop();
        }
        catch (Exception ex)
        {
            _sink?.Fault(new ProcWatchException($"the /proc scanner failed: {ex.GetType().Name}: {ex.Message}", ex));
        }
    }

    private unsafe void ScanLoop()
    {
        ProcScanner scanner = _scanner!;
        long intervalNs = _options.ScanInterval.Ticks * 100;
        // Every known process is rechecked on this cadence, whatever woke the scan.
        long recheckAllNs = intervalNs * Math.Max(1, _options.RecheckAllEveryIntervals);
        long lastRecheckAllNs = KernelClock.MonotonicNs();
        // /proc is listed (and exits reported) at least once per interval, even when inotify
        // keeps waking quick scans.
        long lastListNs = lastRecheckAllNs;
        Libc.pollfd* fds = stackalloc Libc.pollfd[2];
        fds[0] = new Libc.pollfd { fd = _wake!.Fd, events = Libc.POLLIN };
        fds[1] = new Libc.pollfd { fd = _waker?.Fd ?? -1, events = Libc.POLLIN }; // a negative fd is ignored by poll

        while (!_stopping)
        {
            long now = KernelClock.MonotonicNs();
            long nextListNs = lastListNs + intervalNs;
            int timeoutMs = (int)Math.Clamp((nextListNs - now + 999_999) / 1_000_000, 0, int.MaxValue);
            fds[0].revents = 0;
            fds[1].revents = 0;
            if (Libc.Poll(fds, 2, timeoutMs) < 0)
            {
                if (Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
                return;
            }
            if (_stopping || fds[0].revents != 0)
                return;

            bool woken = fds[1].revents != 0;
            now = KernelClock.MonotonicNs();
            bool listDue = now >= nextListNs;
            if (!woken && !listDue)
                continue;
            if (woken)
                _waker!.Drain(); // every queued open becomes one scan; what arrives during the scan wakes the next
            bool recheckAll = now - lastRecheckAllNs >= recheckAllNs;
            if (recheckAll)
                lastRecheckAllNs = now;
            if (scanner.Scan(list: listDue, recheckAll))
                lastListNs = now;
            Interlocked.Increment(ref woken ? ref _inotifyScans : ref _timerScans);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake?.Signal();
        _thread?.Join();
        _scanner?.Dispose();
        _waker?.Dispose();
        _wake?.Dispose();
    }
}
