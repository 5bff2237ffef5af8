namespace ProcWatch.Kernel;

/// <summary>The process lifecycle events both the eBPF ring and the proc connector report.</summary>
internal enum Lifecycle
{
    Fork,
    Exec,
    Exit,
}

/// <summary>
/// Completeness of the eBPF ring, checked against the proc connector. With the BPF programs
/// attached, forks, execs and exits are built from ring records alone; the connector still
/// gets its own copy of each, only to count it: in the kernel, by a socket filter on its
/// socket that drops the copy (<see cref="SetConnectorCount"/>, read each judgement tick), or,
/// where that filter cannot attach, received and counted here. Both are counted per one-second
/// window of kernel time (each copy's own CLOCK_MONOTONIC stamp); once a window has settled,
/// a connector count above the ring's, beyond what the ring's drop counters reported, is a
/// loss: <see cref="LossReason.CrossCheck"/>.
/// </summary>
/// <remarks>
/// Counts, never events: nothing is paired. Windows are by kernel time, not arrival, so the
/// milliseconds between the two receive threads do not matter; the two stamps of one event
/// differ by microseconds, so an event near a window's edge may count in two windows. A small
/// difference (at most <see cref="EdgeAllowance"/>) is therefore netted against an opposite
/// one in the window before or after; a larger one never is. A ring surplus is never a loss
/// (connector ENOBUFS, events the connector does not send). What the kernel counted without a
/// record has no time of its own: a credit the shortfalls use, read within 100 ms of the events
/// it stands for, so it covers the windows up to the one after it was read and is forgotten
/// once those are judged. The ring writes an exec's or exit's record before the connector stamps
/// its copy (an exit's, milliseconds before): at the start a ring record up to
/// <see cref="RingLeadNs"/> before the connector began counts too, as of its first window. Two such counts: records the ring could not hold (reported as ring
/// losses), and main threads that exited while other threads of their process ran on, whose
/// markers the ring could not hold (the connector reports that exit at once; the ring marks
/// it then, and its exit record, with the last thread, maybe seconds later, is not counted:
/// EbpfExecSource).
/// Called from the two receive threads and one timer; a lock, never contended for long.
/// </remarks>
internal sealed class LifecycleCrossCheck
{
    internal const long WindowNs = 1_000_000_000;

    /// <summary>A window is judged this long after it ended: both threads have long received its events.</summary>
    internal const long SettleNs = 3_000_000_000;

    /// <summary>Largest per-kind difference taken for the edge effect rather than a loss.</summary>
    internal const long EdgeAllowance = 2;

    /// <summary>
    /// How long before the connector began a ring exec or exit still counts (in the first window).
    /// For those two kinds the ring's record is written first: sched_process_exec just before
    /// proc_exec_connector, sched_process_exit at the start of do_exit and proc_exit_connector
    /// only after exit_mm, exit_files and exit_notify (milliseconds for a large process, more
    /// under load). An exit whose record came before the connector began and whose connector
    /// copy came after was counted on one side only: a false loss in the first window (seen
    /// under parallel test load). Forks go the other way (proc_fork_connector in copy_process,
    /// the tracepoint after it): no lead.
    /// </summary>
    internal const long RingLeadNs = 1_000_000_000;

    private const int PendingRing = 4096; // ring exec/exit stamps received before Begin (the ring drains first)

    /// <summary>
    /// How many judged windows a small ring surplus stays available to net a later small shortfall.
    /// An exit's ring record can precede its connector copy by more than a window under load
    /// (the ring's surplus in w, the connector's in w + 2; seen with a blocked output and an
    /// exec/exit storm): one window was too short.
    /// </summary>
    private const int CarryWindows = 4;

    private const int CreditWindows = 1; // a credit read in window w also covers w + 1: an event's connector stamp can fall just after the read
    private const int Kinds = 3;
    private const int Slots = 16; // windows counted at once: settle + a few, with room for a stalled timer

    /// <summary>A window this many or more behind the current one is not judged (<see cref="TakeSkipped"/>): its slots are reused 16 windows on.</summary>
    internal const int SkippedBehind = Slots - 1;

    private readonly Lock _gate = new();
    private readonly long[] _windowOfSlot = new long[Slots];
    private readonly long[] _ring = new long[Slots * Kinds];
    private readonly long[] _connector = new long[Slots * Kinds];
    private readonly long[] _kernel = new long[Slots * Kinds];      // the connector's copies its socket filter counted (and dropped)
    private readonly long[] _carry = new long[Kinds * CarryWindows]; // [kind, age]: the leftover surplus (ring minus connector) of each of the last judged windows, at most EdgeAllowance each
    private readonly long[] _credit = new long[Kinds];     // kernel counts without records, not yet matched to a shortfall
    private readonly long[] _creditUntil = new long[Kinds]; // the last window the credit can stand for
    private readonly long[] _pendingRing = new long[PendingRing]; // stamp * 2 + (kind == Exit ? 1 : 0)
    private int _pendingCount; // how many of _pendingRing hold a stamp
    private int _pendingNext;  // where the next goes (the oldest is overwritten when full)
    private long _fromNs = long.MaxValue;
    private long _lastJudged = long.MinValue;
    private long _reported;
    private long _skipped; // windows not judged since the last TakeSkipped (their counts may have been overwritten)

    public LifecycleCrossCheck()
    {
        Array.Fill(_windowOfSlot, -1);
    }

    /// <summary>Shortfalls reported so far.</summary>
    public long Reported => Interlocked.Read(ref _reported);

    /// <summary>The connector subscribed at <paramref name="kernelNs"/>: only what happened since counts, on both sides.</summary>
    public void Begin(long kernelNs)
    {
        lock (_gate)
        {
            _fromNs = kernelNs;
            _lastJudged = kernelNs / WindowNs - 1;
            // The ring's execs and exits that came before: those within the lead count.
            for (int i = 0; i < _pendingCount; i++)
            {
                long packed = _pendingRing[i];
                CountRingLocked((packed & 1) != 0 ? Lifecycle.Exit : Lifecycle.Exec, packed >> 1);
            }
            _pendingCount = 0;
            _pendingNext = 0;
        }
    }

    /// <summary>
    /// The connector's socket filter counts its process forks, execs and exits in the kernel
    /// (bpf/hook_connector.c) instead of sending them: <see cref="SetConnectorCount"/> gives its
    /// counts, read each judgement tick. Events it passed (before it began) still come to
    /// <see cref="OnConnector"/>; the two add up.
    /// </summary>
    public bool CountsInKernel { get; private set; }

    /// <summary>The connector subscribed at <paramref name="kernelNs"/>, its socket filter counting from then on.</summary>
    public void BeginKernelCounted(long kernelNs)
    {
        lock (_gate)
            CountsInKernel = true;
        Begin(kernelNs);
    }

    /// <summary>The first window not judged yet (the kernel's counts of it and later ones are still wanted).</summary>
    public long FirstOpenWindow
    {
        get
        {
            lock (_gate)
                return _lastJudged + 1;
        }
    }

    /// <summary>
    /// The connector's socket filter has counted <paramref name="count"/> events of
    /// <paramref name="kind"/> stamped in <paramref name="window"/> so far (a total, read
    /// from the kernel: it replaces the last one given). Before <see cref="Close"/>.
    /// </summary>
    public void SetConnectorCount(Lifecycle kind, long window, long count)
    {
        lock (_gate)
        {
            if (_fromNs == long.MaxValue || window < _fromNs / WindowNs || window <= _lastJudged)
                return;
            int slot = SlotFor(window);
            if (slot >= 0)
                _kernel[slot * Kinds + (int)kind] = count;
        }
    }

    /// <summary>The ring delivered a record stamped <paramref name="kernelNs"/>.</summary>
    /// <remarks>An exec or exit may come before <see cref="Begin"/> and still count (<see cref="RingLeadNs"/>).</remarks>
    public void OnRing(Lifecycle kind, long kernelNs)
    {
        if (kind == Lifecycle.Fork)
        {
            Count(_ring, kind, kernelNs);
            return;
        }
        lock (_gate)
        {
            if (_fromNs == long.MaxValue)
            {
                // Before Begin: kept (bounded; the ring drains only a moment before the connector begins).
                _pendingRing[_pendingNext] = kernelNs * 2 + (kind == Lifecycle.Exit ? 1 : 0);
                _pendingNext = (_pendingNext + 1) % PendingRing;
                if (_pendingCount < PendingRing)
                    _pendingCount++;
                return;
            }
            CountRingLocked(kind, kernelNs);
        }
    }

    /// <summary>A ring exec or exit: one stamped within <see cref="RingLeadNs"/> before the connector began counts in its first window (under the lock).</summary>
    private void CountRingLocked(Lifecycle kind, long kernelNs)
    {
        if (kernelNs < _fromNs)
        {
            if (kernelNs < _fromNs - RingLeadNs)
                return;
            kernelNs = _fromNs;
        }
        long window = kernelNs / WindowNs;
        if (window <= _lastJudged)
            return;
        int slot = SlotFor(window);
        if (slot >= 0)
            _ring[slot * Kinds + (int)kind]++;
    }

    /// <summary>The connector received an event stamped <paramref name="kernelNs"/>.</summary>
    public void OnConnector(Lifecycle kind, long kernelNs) => Count(_connector, kind, kernelNs);

    /// <summary>
    /// Read at <paramref name="nowNs"/>: the kernel counted <paramref name="count"/> records it
    /// could not put in the ring (reported as ring losses).
    /// </summary>
    public void OnRingDropped(Lifecycle kind, long count, long nowNs) => Credit(kind, count, nowNs);

    /// <summary>
    /// Read at <paramref name="nowNs"/>: <paramref name="count"/> main threads exited while other
    /// threads of their process ran on, and the ring could not hold their markers (each counted
    /// by its marker otherwise, as an exit of its own time). The connector counted each as a
    /// process exit then; the ring's record of the process's exit, with its last thread, is not counted.
    /// </summary>
    public void OnLeaderExitedEarly(long count, long nowNs) => Credit(Lifecycle.Exit, count, nowNs);

    private void Credit(Lifecycle kind, long count, long nowNs)
    {
        if (count <= 0)
            return;
        lock (_gate)
        {
            _credit[(int)kind] += count;
            _creditUntil[(int)kind] = nowNs / WindowNs + CreditWindows;
        }
    }

    private void Count(long[] counts, Lifecycle kind, long kernelNs)
    {
        long window = kernelNs / WindowNs;
        lock (_gate)
        {
            if (kernelNs < _fromNs || window <= _lastJudged)
                return; // before the connector listened, or too late to matter
            int slot = SlotFor(window);
            if (slot >= 0)
                counts[slot * Kinds + (int)kind]++;
        }
    }

    /// <summary>
    /// The slot of <paramref name="window"/>, emptied when it held an older one (under the lock);
    /// -1 when it holds a newer one: that window is <see cref="Slots"/> or more later, so this
    /// one is skipped, not judged (<see cref="TakeSkipped"/>), and its late counts go nowhere.
    /// </summary>
    private int SlotFor(long window)
    {
        int slot = (int)(window % Slots);
        if (_windowOfSlot[slot] > window)
            return -1;
        if (_windowOfSlot[slot] != window)
        {
            _windowOfSlot[slot] = window; // an older window never judged (a timer stalled for 16 s) is forgotten
            Array.Clear(_ring, slot * Kinds, Kinds);
            Array.Clear(_connector, slot * Kinds, Kinds);
            Array.Clear(_kernel, slot * Kinds, Kinds);
        }
        return slot;
    }

    /// <summary>
    /// Judges every window that has settled by <paramref name="nowNs"/> (CLOCK_MONOTONIC);
    /// returns the events they are short of (0 almost always). One caller at a time.
    /// </summary>
    public long Close(long nowNs)
    {
        long shortfall = 0;
        lock (_gate)
        {
            if (_fromNs == long.MaxValue)
                return 0;
            long newest = nowNs / WindowNs;
            for (long w = _lastJudged + 1; (w + 1) * WindowNs + SettleNs <= nowNs; w++)
            {
                if (Overwritten(w, newest))
                {
                    for (int k = 0; k < Kinds; k++)
                        Skip(k);
                    _skipped++;
                }
                else
                {
                    for (int k = 0; k < Kinds; k++)
                        shortfall += Judge(w, k);
                }
                _lastJudged = w;
            }
        }
        Interlocked.Add(ref _reported, shortfall);
        return shortfall;
    }

    /// <summary>
    /// Windows that could not be judged since the last call (0 almost always): the judging tick
    /// stalled (SIGSTOP, a frozen VM, a starved thread) until their counts, the kernel's per-CPU
    /// slots (<c>CONN_COUNT_SLOTS</c>) and these, could have been reused by a window
    /// <see cref="Slots"/> seconds later. Judged anyway, they would have looked like a ring
    /// surplus: silently no loss. Reported instead (<see cref="LossReason.CrossCheckSkipped"/>).
    /// </summary>
    public long TakeSkipped()
    {
        lock (_gate)
        {
            long skipped = _skipped;
            _skipped = 0;
            return skipped;
        }
    }

    /// <summary>
    /// Whether <paramref name="window"/>'s counts may be gone when judged while
    /// <paramref name="newest"/> is the current window: its slots, here or in the kernel, are
    /// taken by the window <see cref="Slots"/> later from its first event on (one window's
    /// margin: the kernel's counts were read a moment before), or already hold a newer window.
    /// </summary>
    private bool Overwritten(long window, long newest)
    {
        int slot = (int)(window % Slots);
        return window + SkippedBehind <= newest || _windowOfSlot[slot] > window;
    }

    /// <summary>A window not judged: the carries age (what was left before the stall nets nothing after it), credits are kept.</summary>
    private void Skip(int k)
    {
        int carry = k * CarryWindows;
        for (int age = CarryWindows - 1; age > 0; age--)
            _carry[carry + age] = _carry[carry + age - 1];
        _carry[carry] = 0;
    }

    /// <summary>PROCWATCH_DEBUG_CROSSCHECK=1: one stderr line per judged window and kind with a difference (cheap: a few per second at most).</summary>
    internal const string DebugVariable = "PROCWATCH_DEBUG_CROSSCHECK";

    private static readonly bool s_debug = Environment.GetEnvironmentVariable(DebugVariable) == "1";

    private long Judge(long window, int k)
    {
        long difference = Difference(window, k); // connector minus ring
        if (s_debug && difference != 0)
            Debug(window, k, difference);
        // Age the carries: the oldest is forgotten.
        int carry = k * CarryWindows;
        for (int age = CarryWindows - 1; age > 0; age--)
            _carry[carry + age] = _carry[carry + age - 1];
        _carry[carry] = 0;
        if (difference < 0)
        {
            _carry[carry] = Math.Min(-difference, EdgeAllowance);
            ExpireCredit(window, k);
            return 0;
        }
        if (difference > 0 && difference <= EdgeAllowance)
        {
            // An event near the edge: its ring copy in a window before (carry, oldest first) or after.
            for (int age = CarryWindows - 1; age > 0 && difference > 0; age--)
            {
                long taken = Math.Min(difference, _carry[carry + age]);
                _carry[carry + age] -= taken;
                difference -= taken;
            }
            long made;
            long next = -Difference(window + 1, k);
            if (difference > 0 && next > 0)
            {
                made = Math.Min(difference, next);
                difference -= made;
                Borrow(window + 1, k, made);
            }
        }
        long used = Math.Min(difference, _credit[k]);
        _credit[k] -= used;
        difference -= used;
        ExpireCredit(window, k);
        return difference;
    }

    private void Debug(long window, int k, long difference)
    {
        int slot = (int)(window % Slots);
        bool held = _windowOfSlot[slot] == window;
        long kernel = held ? _kernel[slot * Kinds + k] : 0, user = held ? _connector[slot * Kinds + k] : 0, ring = held ? _ring[slot * Kinds + k] : 0;
        Console.Error.WriteLine(
            $"procwatch: cross-check window {window} (from {_fromNs / WindowNs}.{_fromNs % WindowNs / 1_000_000:D3}) {(Lifecycle)k}: connector {kernel}+{user} ring {ring} difference {difference} credit {_credit[k]} (until {_creditUntil[k]}) carry {_carry[k * CarryWindows]}+{_carry[k * CarryWindows + 1]}+{_carry[k * CarryWindows + 2]}+{_carry[k * CarryWindows + 3]} next {Difference(window + 1, k)}");
    }

    /// <summary>A credit is for events before it was read: once their windows are judged, what is left explains nothing.</summary>
    private void ExpireCredit(long judged, int k)
    {
        if (judged >= _creditUntil[k])
            _credit[k] = 0;
    }

    private long Difference(long window, int k)
    {
        int slot = (int)(window % Slots);
        return _windowOfSlot[slot] != window ? 0 : _connector[slot * Kinds + k] + _kernel[slot * Kinds + k] - _ring[slot * Kinds + k];
    }

    /// <summary>Takes ring events of the next window that paid for this one's edge difference, so they pay only once.</summary>
    private void Borrow(long window, int k, long count)
    {
        int slot = (int)(window % Slots);
        if (_windowOfSlot[slot] == window)
            _ring[slot * Kinds + k] -= count;
    }
}
