using System.Diagnostics;
using ProcWatch.Interop;
using ProcWatch.Kernel.Fanotify;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// The gate's answer deadline. Every exec on the host waits for the one gate thread, and some
/// of its work can block for as long as someone else decides: reading a caller's memory waits
/// for that process's mmap lock (a sibling thread can hold it across a fault on a slow
/// mapping), hashing a file waits for the disk. A watchdog thread looks every
/// <see cref="WatchPeriod"/>:
/// <list type="bullet">
/// <item>a question older than <see cref="AnswerDeadline"/> is answered with the verdict decided
/// so far: DENY once a rule refused it (only its context was still being read), else ALLOW;</item>
/// <item>while that question's thread is still held, what queues is answered ALLOW unjudged
/// (counted in <see cref="DeadlineAllowed"/>).</item>
/// </list>
/// Only a held question opens that: a queue kept full by fast questions (many threads exec'ing
/// a denied file) is load, judged one by one, never let through unjudged.
/// The tp_btf backstop judges what was allowed, as it judges everything the gate allows; the
/// gate thread, back, reports a refusal it had decided, and without the backstop reports an
/// allowed exec its rule would have refused as an audit; else its verdict is dropped
/// (<see cref="LateVerdicts"/>) so no exec is reported twice. The thread reads one event at a
/// time, so an event it holds is only ever the one in flight. The watchdog uses the group's
/// descriptor only under <c>_answerLock</c> and never after <see cref="CloseGroup"/>; the gate
/// thread clears its in-flight number under it before closing an event's descriptor, so no
/// answer reaches a reused number.
/// </summary>
internal sealed partial class ExecPermissionGate
{
    /// <summary>How long one question may wait for the gate thread before it is answered with the verdict decided so far.</summary>
    internal static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan WatchPeriod = TimeSpan.FromMilliseconds(100);

    private readonly Thread _watchdog;
    private readonly Lock _answerLock = new();
    private int _inFlight = -1; // the event descriptor the gate thread is judging; under _answerLock
    private long _inFlightSince; // Stopwatch timestamp
    private uint _inFlightVerdict; // FAN_ALLOW until a rule refuses it, while not yet answered
    private bool _inFlightAnswered; // by the watchdog, with _inFlightVerdict as it was then (frozen)
    private long _deadlineAllowed, _lateVerdicts;

    /// <summary>Execs allowed at the deadline, or unjudged while the gate thread was held (the backstop judged them).</summary>
    internal long DeadlineAllowed => Interlocked.Read(ref _deadlineAllowed);

    /// <summary>Verdicts the gate thread reached after the watchdog had answered for it.</summary>
    internal long LateVerdicts => Interlocked.Read(ref _lateVerdicts);

    /// <summary>Called on the gate thread with each event's descriptor before it is judged (tests hold the thread here).</summary>
    internal Action<int>? BeforeJudge { get; set; }

    private void Begin(int fd)
    {
        lock (_answerLock)
        {
            long now = Stopwatch.GetTimestamp();
            _inFlight = fd;
            _inFlightSince = now;
            _inFlightVerdict = Libc.FAN_ALLOW;
            _inFlightAnswered = false;
        }
    }

    /// <summary>The verdict of the question in flight, decided (before its context is read).</summary>
    private void Decided(uint answer)
    {
        lock (_answerLock)
        {
            if (!_inFlightAnswered) // too late: the watchdog answered what was decided before
                _inFlightVerdict = answer;
        }
    }

    private void Watch()
    {
        byte[] buffer = new byte[BufferSize];
        while (Volatile.Read(ref _closed) == 0) // not _stopping: a thread held while Dispose waits still needs it
        {
            Thread.Sleep(WatchPeriod);
            lock (_answerLock)
            {
                if (_closed != 0)
                    return;
                if (_inFlight < 0 || Stopwatch.GetElapsedTime(_inFlightSince) < AnswerDeadline)
                    continue;
                if (!_inFlightAnswered)
                {
                    _inFlightAnswered = true;
                    Answer(_inFlight, _inFlightVerdict);
                    if (_inFlightVerdict == Libc.FAN_ALLOW)
                        Interlocked.Increment(ref _deadlineAllowed);
                }
                AllowQueued(buffer);
            }
        }
    }

    /// <summary>Answers ALLOW to every question queued now (the group is non-blocking), unjudged. Under <c>_answerLock</c>.</summary>
    private unsafe void AllowQueued(byte[] buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Libc.Read(_fd, p, (nuint)buffer.Length);
                if (n <= 0)
                    return;
                for (nint at = 0; FanotifyEvents.Next(p, n, ref at, out Libc.fanotify_event_metadata m);)
                {
                    if (m.fd < 0)
                        continue;
                    if ((m.mask & Libc.FAN_OPEN_EXEC_PERM) != 0)
                    {
                        Interlocked.Increment(ref _events);
                        Interlocked.Increment(ref _deadlineAllowed);
                        Answer(m.fd, Libc.FAN_ALLOW);
                    }
                    Libc.Close(m.fd);
                }
            }
        }
    }
}
