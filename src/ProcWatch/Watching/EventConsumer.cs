using ProcWatch.Events;

namespace ProcWatch.Watching;

/// <summary>What a consumer does with the events it drains (the CLI formats them, the daemon judges and writes them).</summary>
internal interface IEventBatchHandler
{
    /// <summary>One batch, in queue order; the array slots are cleared by the consumer afterwards.</summary>
    void Handle(ReadOnlySpan<ProcessEvent> batch);

    /// <summary>After each batch: write what the batch produced (one system call per batch, not per event).</summary>
    void Flush();

    /// <summary>Stop now, even mid-queue: nobody takes the output any more (a closed pipe).</summary>
    bool Closed { get; }

    /// <summary>Checked once the queue is drained: the work is complete (the traced command's exit was written).</summary>
    bool Finished { get; }
}

/// <summary>
/// The one consumer loop of the CLI and the daemon, on a thread of its own: it blocks in
/// <see cref="EventQueue.WaitToRead"/> while nothing happens (no thread-pool worker or timer
/// per batch), drains in batches, and lets a storm's events gather for
/// <see cref="CoalesceMs"/> between passes. bench/README.md has the numbers behind both
/// constants: the output thread's CPU in a 5,000-exec storm 30 → 8 ticks, RSS ≤ 30 MB.
/// </summary>
internal sealed class EventConsumer(EventQueue events, IEventBatchHandler handler)
{
    /// <summary>Extra latency a storm's events may wait so that each pass handles many; an event after a quiet spell is handled at once.</summary>
    internal const int CoalesceMs = 10;

    /// <summary>
    /// Allocation between young-generation collections (<see cref="AllocationBudget"/>). 1 MB:
    /// 4 -> 2 MB took a storm's peak RSS 31.7 -> 29.7 MB, 2 -> 1 MB about 0.5-1 MB more (issue 26);
    /// 512 KB saved nothing more. CPU within noise (bench/README.md: RSS).
    /// </summary>
    internal const long YoungGenerationBytes = 1024 * 1024;

    private readonly ProcessEvent[] _batch = new ProcessEvent[1024];
    private readonly AllocationBudget _young = new(YoungGenerationBytes);
    private long _handled;

    /// <summary>Events handled so far (another thread reads it to tell a slow output from a stuck one).</summary>
    public long Handled => Volatile.Read(ref _handled);

    /// <summary>
    /// Until the stream ends (the watcher was disposed, or failed), the handler is
    /// <see cref="IEventBatchHandler.Closed"/> or <see cref="IEventBatchHandler.Finished"/>, or <paramref name="stop"/> is cancelled (then the
    /// caller unsubscribes and calls <see cref="DrainRest"/>).
    /// </summary>
    public void Run(CancellationToken stop = default)
    {
        try
        {
            while (events.WaitToRead(stop))
            {
                Drain(stop);
                if (handler.Closed || handler.Finished)
                    return;
                Thread.Sleep(CoalesceMs);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: the caller unsubscribes, then drains the finite rest.
        }
    }

    /// <summary>Everything still queued (once the sources are stopped the rest is finite).</summary>
    public void DrainRest() => Drain(CancellationToken.None);

    /// <summary>Until the queue is empty, the handler is closed, or <paramref name="stop"/> (a storm that outpaces the outputs must not hold a stop up).</summary>
    private void Drain(CancellationToken stop)
    {
        int n;
        while (!handler.Closed && (n = events.ReadBatch(_batch)) > 0)
        {
            handler.Handle(_batch.AsSpan(0, n));
            Array.Clear(_batch, 0, n);
            handler.Flush();
            Volatile.Write(ref _handled, _handled + n);
            _young.Check(); // per batch: a storm may keep the queue from ever running dry
            if (stop.IsCancellationRequested)
                return;
        }
        handler.Flush();
    }
}
