using System.Diagnostics;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// The gate's answer deadline. Every exec on the host waits for the one gate thread, and some
/// of its work can block for as long as someone else decides: reading a caller's memory waits
/// for that process's mmap lock (a sibling thread can hold it across a fault on a slow
/// mapping), hashing a large file waits for the disk. A watchdog thread looks every
/// <see cref="WatchPeriod"/>: a question older than <see cref="AnswerDeadline"/> is answered
/// ALLOW, and while the gate thread is still held, so is each question that queues behind it,
/// unjudged (counted in <see cref="DeadlineAllowed"/>). The tp_btf backstop judges those execs
/// after the fact, as it judges everything the gate allows; a verdict the gate reaches after
/// its deadline is dropped (<see cref="LateVerdicts"/>) so no exec is reported twice.
/// The watchdog uses the group's descriptor only under <c>_answerLock</c> and never after
/// <see cref="CloseGroup"/>; the gate thread clears its in-flight number under it before
/// closing an event's descriptor, so no answer reaches a reused number.
/// </summary>
internal sealed partial class ExecPermissionGate
{
    /// <summary>How long one question may wait for the gate thread before it is allowed (then judged by the backstop).</summary>
    internal static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan WatchPeriod = TimeSpan.FromMilliseconds(100);

    private readonly Thread _watchdog;
    private readonly Lock _answerLock = new();
    private int _inFlight = -1; // the event descriptor the gate thread is judging; under _answerLock
    private long _inFlightSince; // Stopwatch timestamp
    private bool _inFlightAnswered; // by the watchdog
    private long _deadlineAllowed, _lateVerdicts;

    /// <summary>Execs allowed unjudged because the gate thread had not answered within <see cref="AnswerDeadline"/> (the backstop judged them).</summary>
    internal long DeadlineAllowed => Interlocked.Read(ref _deadlineAllowed);

    /// <summary>Verdicts the gate thread reached after the watchdog had answered for it (dropped).</summary>
    internal long LateVerdicts => Interlocked.Read(ref _lateVerdicts);

    /// <summary>Called on the gate thread with each event's descriptor before it is judged (tests hold the thread here).</summary>
    internal Action<int>? BeforeJudge { get; set; }

    private void Begin(int fd)
    {
        lock (_answerLock)
        {
            _inFlight = fd;
            _inFlightSince = Stopwatch.GetTimestamp();
            _inFlightAnswered = false;
        }
    }

    private void Watch()
    {
        byte[] buffer = new byte[BufferSize];
        while (!_stopping && Volatile.Read(ref _closed) == 0)
        {
            Thread.Sleep(WatchPeriod);
            lock (_answerLock)
            {
                if (_closed != 0 || _inFlight < 0 || Stopwatch.GetElapsedTime(_inFlightSince) < AnswerDeadline)
                    continue;
                if (!_inFlightAnswered)
                {
                    _inFlightAnswered = true;
                    Answer(_inFlight, Libc.FAN_ALLOW);
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
                for (nint at = 0; at + sizeof(Libc.fanotify_event_metadata) <= n;)
                {
                    var m = *(Libc.fanotify_event_metadata*)(p + at);
                    if (m.event_len < sizeof(Libc.fanotify_event_metadata))
                        break;
                    at += (nint)m.event_len;
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
