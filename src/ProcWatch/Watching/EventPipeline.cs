using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel;

namespace ProcWatch.Watching;

/// <summary>
/// Runs every event through the stages, one at a time, and into a bounded queue for the
/// consumer. A full queue never blocks the receive thread: the event is dropped, counted,
/// and a <see cref="LostEvent"/> with the count is queued as soon as there is room.
/// </summary>
internal sealed class EventPipeline : IEventSink
{
    private readonly Lock _gate = new();
    private readonly EventQueue _queue;
    private readonly WatcherStatistics _statistics;
    private readonly IEventSink _head;
    private long _pendingDrops;

    public EventPipeline(IReadOnlyList<IEventStage> stages, int capacity, WatcherStatistics statistics)
    {
        _statistics = statistics;
        _queue = new EventQueue(capacity); // one writer: writes happen under _gate
        IEventSink next = new QueueSink(this);
        for (int i = stages.Count - 1; i >= 0; i--)
            next = new StageSink(stages[i], next);
        _head = next;
    }

    public EventQueue Reader => _queue;

    public void Post(ProcessEvent processEvent)
    {
        _statistics.OnPosted(processEvent);
        try
        {
            lock (_gate)
                _head.Post(processEvent);
        }
        catch (Exception ex)
        {
            // A bug in a stage must not kill the receive thread (and the process) silently:
            // end the stream with an error the consumer reports as one line.
            _queue.TryComplete(new ProcWatchException(
                $"internal error while processing an event ({processEvent.Kind.Name()}): {ex.GetType().Name}: {ex.Message}", ex));
        }
    }

    public void Complete(Exception? error = null) => _queue.TryComplete(error);

    public void Fault(ProcWatchException error) => Complete(error);

    private void Enqueue(ProcessEvent processEvent)
    {
        if (_pendingDrops > 0)
        {
            LostEvent lost = LostEvents.Now(EventOrigin.Watcher, LossReason.QueueFull, _pendingDrops, KernelClock.Shared);
            if (!_queue.TryWrite(lost))
            {
                Drop();
                return;
            }
            _statistics.OnEvent(ProcessEventKind.Lost);
            _pendingDrops = 0;
        }
        if (!_queue.TryWrite(processEvent))
            Drop();
    }

    private void Drop()
    {
        _pendingDrops++;
        _statistics.OnQueueDrop();
    }

    private sealed class QueueSink(EventPipeline pipeline) : IEventSink
    {
        public void Post(ProcessEvent processEvent) => pipeline.Enqueue(processEvent);
    }

    private sealed class StageSink(IEventStage stage, IEventSink next) : IEventSink
    {
        public void Post(ProcessEvent processEvent) => stage.Process(processEvent, next);
    }
}
