using System.Threading.Channels;
using ProcWatch.Core;

namespace ProcWatch;

/// <summary>
/// One <c>watcher.On(filter, handler)</c> registration. Matching events are queued for the
/// handler, which runs on the thread pool, one event at a time, in order: a slow or
/// failing handler never holds up the receive loop; when its queue is full, events for it
/// are dropped and counted (<see cref="Dropped"/>). Dispose to unregister.
/// </summary>
public sealed class EventSubscription : IDisposable
{
    private readonly Func<ProcessEvent, CancellationToken, ValueTask> _handler;
    private readonly Channel<ProcessEvent> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<EventSubscription> _unregister;
    private readonly Action<ProcessEvent, Exception> _onFailure;
    private long _dropped;
    private long _failed;
    private long _handled;
    private int _disposed;

    internal EventSubscription(EventFilter filter, Func<ProcessEvent, CancellationToken, ValueTask> handler, int capacity,
        Action<EventSubscription> unregister, Action<ProcessEvent, Exception> onFailure)
    {
        _onFailure = onFailure;
        Filter = filter;
        _handler = handler;
        _unregister = unregister;
        _queue = Channel.CreateBounded<ProcessEvent>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails instead of evicting silently
        });
        Completion = Task.Run(RunAsync);
    }

    /// <summary>Which events this handler receives.</summary>
    public EventFilter Filter { get; }

    /// <summary>Events that arrived while the handler's queue was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Handler calls that threw (each also raised <see cref="ProcessWatcher.Error"/>).</summary>
    public long Failed => Volatile.Read(ref _failed);

    /// <summary>Handler calls that returned.</summary>
    public long Handled => Volatile.Read(ref _handled);

    /// <summary>Ends when the subscription is disposed and the handler has returned.</summary>
    public Task Completion { get; }

    internal void Offer(ProcessEvent e)
    {
        if (!_queue.Writer.TryWrite(e))
            Interlocked.Increment(ref _dropped);
    }

    /// <summary>No more events are delivered; what is queued is still handled (then <see cref="Completion"/> ends).</summary>
    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>Unregisters: no more events are delivered, and a running handler's token fires.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _unregister(this);
        _queue.Writer.TryComplete();
        _stop.Cancel();
    }

    private async Task RunAsync()
    {
        CancellationToken token = _stop.Token;
        try
        {
            await foreach (ProcessEvent e in _queue.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                try
                {
                    await _handler(e, token).ConfigureAwait(false);
                    Interlocked.Increment(ref _handled);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref _failed);
                    _onFailure(e, ex);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed.
        }
    }
}

/// <summary>The last stage: offers each event to the matching subscriptions (copy-on-write list, no locks on the path).</summary>
internal sealed class CallbackDispatcher(Action<ProcessEvent, Exception> onHandlerFailed) : IEventStage
{
    private readonly Lock _gate = new();

    /// <summary>A handler threw: reported through <see cref="ProcessWatcher.Error"/>.</summary>
    public Action<ProcessEvent, Exception> OnHandlerFailed { get; } = onHandlerFailed;

    private EventSubscription[] _subscriptions = [];

    public void Process(ProcessEvent processEvent, IEventSink next)
    {
        EventSubscription[] subscriptions = Volatile.Read(ref _subscriptions);
        for (int i = 0; i < subscriptions.Length; i++)
        {
            if (subscriptions[i].Filter.Matches(processEvent))
                subscriptions[i].Offer(processEvent);
        }
        next.Post(processEvent);
    }

    public void Add(EventSubscription subscription)
    {
        lock (_gate)
            Volatile.Write(ref _subscriptions, [.. _subscriptions, subscription]);
    }

    public void Remove(EventSubscription subscription)
    {
        lock (_gate)
            Volatile.Write(ref _subscriptions, Array.FindAll(_subscriptions, s => s != subscription));
    }

    /// <summary>The watcher stopped: every handler finishes what is queued.</summary>
    public void CompleteAll()
    {
        foreach (EventSubscription s in Volatile.Read(ref _subscriptions))
            s.Complete();
    }

    /// <summary>Every handler's token fires and nothing more is handled (a disposal that would otherwise wait too long).</summary>
    public void CancelAll()
    {
        foreach (EventSubscription s in Volatile.Read(ref _subscriptions))
            s.Dispose();
    }

    /// <summary>Ends when every registered handler has returned for the last time (after <see cref="CompleteAll"/>).</summary>
    public Task HandlersDone()
    {
        EventSubscription[] subscriptions = Volatile.Read(ref _subscriptions);
        var completions = new Task[subscriptions.Length];
        for (int i = 0; i < subscriptions.Length; i++)
            completions[i] = subscriptions[i].Completion;
        return Task.WhenAll(completions);
    }
}
