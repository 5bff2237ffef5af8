using ProcWatch.Events;

namespace ProcWatch;

/// <summary>
/// Counters kept while watching: events per kind, and every way an event can be lost.
/// Updated with interlocked increments from the receive threads; read any time.
/// </summary>
public sealed class WatcherStatistics
{
    private readonly long[] _byKind = new long[Enum.GetValues<ProcessEventKind>().Length];
    private long _kernelOverruns;
    private long _queueDrops;
    private long _malformed;
    private long _sequenceGaps;
    private long _ringBufferDrops;
    private long _tableEvictions;
    private long _unmatchedKernelRecords;

    /// <summary>Events of <paramref name="kind"/> delivered so far.</summary>
    /// <param name="kind">The kind to count.</param>
    public long Count(ProcessEventKind kind) => Volatile.Read(ref _byKind[(int)kind]);

    /// <summary>Events of every kind delivered so far.</summary>
    public long Total
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _byKind.Length; i++) sum += Volatile.Read(ref _byKind[i]);
            return sum;
        }
    }

    /// <summary>ENOBUFS from the netlink socket: the kernel dropped an unknown number of events.</summary>
    public long KernelOverruns => Volatile.Read(ref _kernelOverruns);

    /// <summary>Events dropped because the consumer did not keep up with ProcWatch's queue.</summary>
    public long QueueDrops => Volatile.Read(ref _queueDrops);

    /// <summary>Messages that could not be parsed.</summary>
    public long Malformed => Volatile.Read(ref _malformed);

    /// <summary>Events missing from the connector's per-CPU sequence numbers.</summary>
    public long SequenceGaps => Volatile.Read(ref _sequenceGaps);

    /// <summary>Records the eBPF program could not put into its ring buffer.</summary>
    public long RingBufferDrops => Volatile.Read(ref _ringBufferDrops);

    /// <summary>Processes the bounded process table forgot to make room (re-read from /proc when seen again).</summary>
    public long TableEvictions => Volatile.Read(ref _tableEvictions);

    /// <summary>
    /// eBPF fork and exit records that never met their connector event (the oldest goes when
    /// the bounded join is full). Their events, if any came, lack the kernel's start time, CPU
    /// time and peak RSS; no event is lost.
    /// </summary>
    public long UnmatchedKernelRecords => Volatile.Read(ref _unmatchedKernelRecords);

    /// <summary>
    /// Counts an event as it enters the pipeline: the one place events and reported losses are
    /// counted (sources and the eBPF join only post). A loss report is an event too, so -S's
    /// total is at least the number of lines printed.
    /// </summary>
    internal void OnPosted(ProcessEvent processEvent)
    {
        OnEvent(processEvent.Kind);
        if (processEvent is not LostEvent lost)
            return;
        switch (lost.Reason)
        {
            case LossReason.KernelBufferOverrun: Interlocked.Increment(ref _kernelOverruns); break;
            case LossReason.SequenceGap: Interlocked.Add(ref _sequenceGaps, lost.Count); break;
            case LossReason.RingBufferFull: Interlocked.Add(ref _ringBufferDrops, lost.Count); break;
            // QueueFull is counted per dropped event by the queue (OnQueueDrop); Malformed by the parser.
        }
    }

    internal void OnEvent(ProcessEventKind kind) => Interlocked.Increment(ref _byKind[(int)kind]);
    internal void OnQueueDrop() => Interlocked.Increment(ref _queueDrops);
    internal void OnMalformed() => Interlocked.Increment(ref _malformed);
    internal void OnTableEviction() => Interlocked.Increment(ref _tableEvictions);
    internal void OnUnmatchedKernelRecord() => Interlocked.Increment(ref _unmatchedKernelRecords);
}
