using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ProcWatch.Events;
using ProcWatch.Kernel.Connector;
using ProcWatch.Tracking;

namespace ProcWatch.Watching;

/// <summary>
/// Watches process events. <c>await foreach (var e in watcher.WatchAsync(ct))</c> is the
/// whole API; <see cref="Start"/> gives the underlying queue to consumers that batch.
/// A watcher runs once; dispose it (or cancel the enumeration) to unsubscribe.
/// </summary>
public sealed class ProcessWatcher : IDisposable
{
    private readonly WatchOptions _options;
    private readonly List<IEventSource> _sources = [];
    private readonly CallbackDispatcher _dispatcher = new();
    private EventPipeline? _pipeline;
    private int _disposed;

    public ProcessWatcher(WatchOptions? options = null) => _options = options ?? new WatchOptions();

    public WatchOptions Options => _options;

    public WatcherStatistics Statistics { get; } = new();

    /// <summary>The running sources (for diagnostics: which backend is in use).</summary>
    public IReadOnlyList<IEventSource> Sources => _sources;

    /// <summary>
    /// Subscribes and returns the event queue. Returns once the sources are ready: every
    /// event after this call is delivered or reported lost.
    /// </summary>
    /// <exception cref="ProcWatchException">The kernel interface is unusable (message says why).</exception>
    public EventQueue Start()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_pipeline is not null)
            throw new InvalidOperationException("This watcher has already started.");
        _pipeline = new EventPipeline(BuildStages(), _options.QueueCapacity, Statistics);
        IReadOnlyList<IEventSource> sources = _options.Sources
            ?? [new ConnectorEventSource(SourceKinds(), _options.ReceiveBufferBytes)];
        try
        {
            foreach (IEventSource source in sources)
            {
                source.Start(_pipeline, Statistics);
                _sources.Add(source);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        return _pipeline.Reader;
    }

    /// <summary>
    /// Calls <paramref name="handler"/> for every event that <paramref name="filter"/> matches
    /// (like <c>register_process(pid, name, events, action)</c>). Handlers run on the thread
    /// pool, in order, never on the receive loop; at most <paramref name="capacity"/> events
    /// wait for a handler, more are dropped and counted. Register before or after
    /// <see cref="Start"/>; dispose the result to unregister. Events flow while the watcher
    /// runs: use <see cref="RunAsync"/> when nothing else consumes them.
    /// </summary>
    public EventSubscription On(EventFilter filter, Func<ProcessEvent, CancellationToken, ValueTask> handler, int capacity = 4096)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var subscription = new EventSubscription(filter, handler, capacity, _dispatcher.Remove);
        _dispatcher.Add(subscription);
        return subscription;
    }

    /// <summary>A synchronous handler; see <see cref="On(EventFilter, Func{ProcessEvent, CancellationToken, ValueTask}, int)"/>.</summary>
    public EventSubscription On(EventFilter filter, Action<ProcessEvent> handler, int capacity = 4096) =>
        On(filter, (e, _) =>
        {
            handler(e);
            return ValueTask.CompletedTask;
        }, capacity);

    /// <summary>Watches until cancelled, for callers that only use <see cref="On(EventFilter, Action{ProcessEvent}, int)"/> callbacks.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await foreach (ProcessEvent _ in WatchAsync(cancellationToken).ConfigureAwait(false))
        {
        }
    }

    /// <summary>
    /// The stages in order: whatever completes the raw events (an eBPF argv join belongs
    /// here, before enrichment), the process table's enrichment and filter, then the caller's.
    /// </summary>
    private List<IEventStage> BuildStages()
    {
        var stages = new List<IEventStage>();
        if (_options.Enrichment is { } enrichment)
            stages.Add(new EnrichmentStage(enrichment, Statistics));
        if (SourceKinds() != _options.Kinds)
            stages.Add(new KindFilterStage(_options.Kinds));
        stages.AddRange(_options.Stages);
        stages.Add(_dispatcher); // last: callbacks see enriched, filtered events
        return stages;
    }

    private ProcessEventKinds SourceKinds() => _options.SourceKinds;

    /// <summary>Streams events until <paramref name="cancellationToken"/> fires; then unsubscribes.</summary>
    public async IAsyncEnumerable<ProcessEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChannelReader<ProcessEvent> reader = Start();
        try
        {
            while (true)
            {
                try
                {
                    if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                        yield break;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }
                while (reader.TryRead(out ProcessEvent? e))
                    yield return e;
            }
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Convenience: watch with <paramref name="options"/> until cancelled.</summary>
    public static async IAsyncEnumerable<ProcessEvent> WatchAsync(
        WatchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var watcher = new ProcessWatcher(options);
        await foreach (ProcessEvent e in watcher.WatchAsync(cancellationToken).ConfigureAwait(false))
            yield return e;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (IEventSource source in _sources)
            source.Dispose();
        _pipeline?.Complete();
        _dispatcher.CompleteAll();
    }
}
