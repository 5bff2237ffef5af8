using ProcWatch.Events;

namespace ProcWatch.Watching;

/// <summary>What a consumer does with the events it drains (the CLI formats them, the daemon judges and writes them).</summary>
internal interface IEventBatchHandler
{
    /// <summary>One batch, in queue order; the array slots are cleared by the consumer afterwards.</summary>
    void Handle(ReadOnlySpan<ProcessEvent> batch);

    /// <summary>After a pass (and during a long one, every batch array's worth): write what the events produced (one system call per pass, not per event).</summary>
    void Flush();

    /// <summary>Stop now, even mid-queue: nobody takes the output any more (a closed pipe).</summary>
    bool Closed { get; }

    /// <summary>Checked once the queue is drained: the work is complete (the traced command's exit was written).</summary>
    bool Finished { get; }
}

/// <summary>
/// The one consumer loop of the CLI and the daemon, on a thread of its own: it blocks in
/// <see cref="EventQueue.WaitToRead"/> while nothing happens (no thread-pool worker or timer
/// per batch; the queue wakes it only then), drains in batches, and in a storm lets the next
/// batch gather for at most <see cref="CoalesceNs"/> (the output rule, docs/ARCHITECTURE.md "Output timing"):
/// after a pass, an event queued within 10 ms of the moment the pass found the queue empty
/// waits until that window is over; an event queued later is handled at once. So no event
/// waits more than 10 ms for company, a quiet stream is not delayed at all, and a storm costs
/// one pass (one write, one sleep) per window at most.
/// </summary>
internal sealed class EventConsumer(EventQueue events, IEventBatchHandler handler, ConsumerClock? clock = null, long coalesceNs = EventConsumer.CoalesceNs)
{
    /// <summary>
    /// The longest an event may wait for others to be written with it (the product's output
    /// rule). 10 ms, not 1: a 1 ms window cost the output thread about a quarter more per line
    /// in a fork storm and at a steady rate (bench/README.md "Session 6: output").
    /// </summary>
    internal const long CoalesceNs = 10_000_000;

    /// <summary>
    /// The daemon's window: its rules judge and respond (kill, alerts' actions) on this thread,
    /// after the queue, so a response waits for the window too; 1 ms keeps that wait short.
    /// </summary>
    internal const long RespondingCoalesceNs = 1_000_000;

    /// <summary>
    /// Allocation between young-generation collections (<see cref="AllocationBudget"/>). 1 MB:
    /// 4 -> 2 MB took a storm's peak RSS 31.7 -> 29.7 MB, 2 -> 1 MB about 0.5-1 MB more (issue 26);
    /// 512 KB saved nothing more. CPU within noise (bench/README.md: RSS).
    /// </summary>
    internal const long YoungGenerationBytes = 1024 * 1024;

    private readonly ConsumerClock _clock = clock ?? ConsumerClock.Monotonic;
    private readonly ProcessEvent[] _batch = new ProcessEvent[1024];
    private readonly AllocationBudget _young = new(YoungGenerationBytes);
    private long _handled;
    private long _drainedAtNs; // when the last pass found the queue empty

    /// <summary>Events handled so far (another thread reads it to tell a slow output from a stuck one).</summary>
    public long Handled => Volatile.Read(ref _handled);

    /// <summary>
    /// Until the stream ends (the watcher was disposed, or failed), the handler is
    /// <see cref="IEventBatchHandler.Closed"/> or <see cref="IEventBatchHandler.Finished"/>, or <paramref name="stop"/> is cancelled (then the
    /// caller unsubscribes and calls <see cref="DrainRest"/>).
    /// </summary>
    public void Run(CancellationToken stop = default)
    {
        long nextPassNs = long.MinValue; // no pass yet: the first event goes at once
        bool storm = false;
        try
        {
            while (true)
            {
                // A storm (the last pass had company): sleep out the window first, so the
                // producer need not wake this thread for the events that come meanwhile.
                if (storm)
                    _clock.SleepUntil(nextPassNs);
                if (!events.WaitToRead(stop)) // blocks, and is woken by the producer, only when nothing is queued
                    return;
                // An event within the window after the last pass waits for the rest of it; a quiet stream's goes at once.
                _clock.SleepUntil(nextPassNs);
                long n = Drain(stop);
                if (handler.Closed || handler.Finished || stop.IsCancellationRequested)
                    return;
                nextPassNs = _drainedAtNs + coalesceNs;
                storm = n > 1;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: the caller unsubscribes, then drains the finite rest.
        }
    }

    /// <summary>Everything still queued (once the sources are stopped the rest is finite).</summary>
    public void DrainRest() => Drain(CancellationToken.None);

    /// <summary>
    /// Until the queue is empty, the handler is closed, or <paramref name="stop"/> (a storm that
    /// outpaces the outputs must not hold a stop up); returns the events handled.
    /// </summary>
    private long Drain(CancellationToken stop)
    {
        long handled = 0;
        int unflushed = 0;
        int n;
        while (!handler.Closed && (n = events.ReadBatch(_batch)) > 0)
        {
            handler.Handle(_batch.AsSpan(0, n));
            Array.Clear(_batch, 0, n);
            // One write per pass, for what came in while the pass ran too; a backlog is written
            // as it goes, a batch array at a time, so what is held stays bounded.
            unflushed += n;
            if (unflushed >= _batch.Length)
            {
                handler.Flush();
                unflushed = 0;
            }
            handled += n;
            Volatile.Write(ref _handled, _handled + n);
            _young.Check(); // per batch: a storm may keep the queue from ever running dry
            if (stop.IsCancellationRequested)
                break;
        }
        // Before the last write: an event queued after this moment has waited no longer than the next pass's deadline says.
        _drainedAtNs = _clock.NowNs();
        handler.Flush();
        return handled;
    }
}
