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
/// receives its own copy of each, and only counts it here. Once per window both counts are
/// compared per kind; a connector count above the ring's is a loss the ring's own drop
/// counters did not explain (a record consumed but not delivered, a bug), reported as
/// <see cref="LossReason.CrossCheck"/>.
/// </summary>
/// <remarks>
/// Counts, never events: nothing is paired. The two copies of one event are counted by two
/// threads a few milliseconds apart, so a window's difference is netted against the next
/// window's opposite difference before it counts as a loss. A ring surplus (connector
/// ENOBUFS, or processes in pid namespaces whose events the connector does not send) is never
/// a loss and is carried one window only, so it cannot hide a later shortfall for long.
/// A process whose main thread exits long before its last thread shows as a shortfall in one
/// window and a surplus in a later one: that false report is possible and rare (see
/// docs/notes/NOTES-issue26-onerecord.md).
/// Counting is lock-free from the two receive threads; <see cref="CloseWindow"/> runs on one timer.
/// </remarks>
internal sealed class LifecycleCrossCheck
{
    private const int Kinds = 3;
    private readonly long[] _ring = new long[Kinds];
    private readonly long[] _connector = new long[Kinds];
    private readonly long[] _ringAtLastWindow = new long[Kinds];
    private readonly long[] _connectorAtLastWindow = new long[Kinds];
    private readonly long[] _previousBalance = new long[Kinds]; // connector minus ring, the last window's, netted
    private long _reported;

    /// <summary>The ring delivered one (or its drop counter counted <paramref name="count"/>: those are reported as ring losses).</summary>
    public void OnRing(Lifecycle kind, long count = 1) => Interlocked.Add(ref _ring[(int)kind], count);

    /// <summary>The connector received one.</summary>
    public void OnConnector(Lifecycle kind) => Interlocked.Increment(ref _connector[(int)kind]);

    /// <summary>Shortfalls reported so far.</summary>
    public long Reported => Interlocked.Read(ref _reported);

    /// <summary>
    /// Ends a window: returns how many events the window before it is still short of after
    /// netting with this one (0 almost always). One caller at a time.
    /// </summary>
    public long CloseWindow()
    {
        long shortfall = 0;
        for (int k = 0; k < Kinds; k++)
        {
            long ring = Interlocked.Read(ref _ring[k]);
            long connector = Interlocked.Read(ref _connector[k]);
            long balance = (connector - _connectorAtLastWindow[k]) - (ring - _ringAtLastWindow[k]);
            _ringAtLastWindow[k] = ring;
            _connectorAtLastWindow[k] = connector;
            long previous = _previousBalance[k];
            if (previous > 0 && balance < 0)
            {
                long made = Math.Min(previous, -balance);
                previous -= made;
                balance += made;
            }
            else if (previous < 0 && balance > 0)
            {
                long made = Math.Min(-previous, balance);
                previous += made;
                balance -= made;
            }
            if (previous > 0)
                shortfall += previous;
            _previousBalance[k] = balance;
        }
        Interlocked.Add(ref _reported, shortfall);
        return shortfall;
    }
}
