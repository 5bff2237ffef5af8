using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ProcWatch.Core;
using ProcWatch.Tracking;
using ProcWatch.Watching;

namespace ProcWatch;

/// <summary>
/// Watches process events. <c>await foreach (var e in watcher.WatchAsync(ct))</c> is the
/// whole API; <see cref="On(EventFilter, Func{ProcessEvent, CancellationToken, ValueTask}, int)"/>
/// registers callbacks instead. Nothing touches the kernel before <see cref="Start"/> (or the
/// first enumeration): the backend in <see cref="WatchOptions.Backend"/> is chosen then, and a
/// fallback is reported through <see cref="Warning"/>. A watcher runs once; dispose it (or
/// cancel the enumeration) to unsubscribe and release every kernel resource.
/// </summary>
public sealed class ProcessWatcher : IDisposable
{
    private readonly WatchOptions _options;
    private readonly List<IEventSource> _sources = [];
    private readonly CallbackDispatcher _dispatcher;
    private EventPipeline? _pipeline;
    private EnrichmentStage? _enrichment; // its hasher posts hash follow-ups into the pipeline
    private Kernel.Enforcement.DenyEnforcer? _enforcer;
    private Kernel.Fanotify.ExecFileHolder? _execFiles;
    private int _disposed;

    /// <summary>A watcher with <paramref name="options"/> (default: every fork, exec and exit, best backend).</summary>
    /// <exception cref="ArgumentException">The options are inconsistent (message says which).</exception>
    public ProcessWatcher(WatchOptions? options = null)
    {
        _options = options ?? new WatchOptions();
        _options.Validate();
        _dispatcher = new CallbackDispatcher(ReportHandlerFailure);
    }

    /// <summary>The options this watcher runs with.</summary>
    public WatchOptions Options => _options;

    /// <summary>Events per kind and every way an event was lost; read any time.</summary>
    public WatcherStatistics Statistics { get; } = new();

    /// <summary>
    /// The backend in use once started (<see cref="Backend.Auto"/> resolves to what loaded):
    /// <see cref="Backend.Ebpf"/>, <see cref="Backend.Connector"/> or <see cref="Backend.Procfs"/>.
    /// </summary>
    public Backend ActiveBackend { get; private set; } = Backend.Auto;

    /// <summary>
    /// Raised, on the thread that calls <see cref="Start"/>, when <see cref="Backend.Auto"/> had
    /// to fall back (for example eBPF could not load, so argv is read from /proc): watching goes
    /// on, with what the message says is missing. The exception is a <see cref="ProcWatchException"/>
    /// (never thrown) whose message is the one-line warning and whose <see cref="ProcWatchException.Kind"/>
    /// says why (<see cref="FailureKind.NoPrivilege"/>: run as root for the full backend).
    /// </summary>
    public event EventHandler<ErrorEventArgs>? Warning;

    /// <summary>
    /// Raised when a handler registered with <c>On</c> throws (like
    /// <see cref="FileSystemWatcher.Error"/>). The exception is a <see cref="ProcWatchException"/>
    /// whose message names the event and whose <see cref="Exception.InnerException"/> is the
    /// handler's. Raised on the handler's thread; the handler keeps receiving events.
    /// </summary>
    public event EventHandler<ErrorEventArgs>? Error;

    /// <summary>
    /// How <see cref="WatchOptions.DenyRules"/> are enforced once started: <see cref="EnforcementLevel.Lsm"/>,
    /// <see cref="EnforcementLevel.Signal"/> or <see cref="EnforcementLevel.PostExecKill"/> (reported through
    /// <see cref="Warning"/> when not the best); <see cref="EnforcementLevel.None"/> without rules.
    /// </summary>
    public EnforcementLevel EnforcementLevel => _enforcer?.Level ?? EnforcementLevel.None;

    /// <summary>The deny-rule enforcement (reload, counters), when there are deny rules.</summary>
    internal Kernel.Enforcement.DenyEnforcer? Enforcer => _enforcer;

    /// <summary>The running sources (for diagnostics: which backend is in use).</summary>
    internal IReadOnlyList<IEventSource> Sources => _sources;

    /// <summary>
    /// Subscribes and returns the event stream. Returns once the sources are ready: every
    /// event after this call is delivered or reported lost (<see cref="LostEvent"/>).
    /// </summary>
    /// <exception cref="ProcWatchException">The kernel interface is unusable (message says why; <see cref="ProcWatchException.Kind"/> says what to do).</exception>
    /// <exception cref="InvalidOperationException">The watcher has already started.</exception>
    public ChannelReader<ProcessEvent> Start() => StartQueue();

    /// <summary><see cref="Start"/> for consumers that block and batch (the CLI and the daemon).</summary>
    internal EventQueue StartQueue()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_pipeline is not null)
            throw new InvalidOperationException("This watcher has already started.");
        // Deny rules are checked (and resolved) before anything touches the kernel: a bad rule throws ArgumentException.
        if (_options.DenyRules.Count > 0)
            _enforcer = new Kernel.Enforcement.DenyEnforcer(_options.DenyRules, _options.DenyProtectedPaths, _options.DenyAttachModes);
        _pipeline = new EventPipeline(BuildStages(), _options.QueueCapacity, Statistics);
        if (_enrichment?.Hasher is { } hasher)
        {
            // Hashes that come after their exec enter the stream like any event (the stages see them in order).
            EventPipeline pipeline = _pipeline;
            hasher.FollowUp = (waiter, sha256, status) => pipeline.Post(HashFollowUps.Create(waiter, sha256, status));
            // Every executed file held from its exec (fanotify, root only): a dropper that
            // deletes itself and exits at once is still hashed. Unavailable: nothing held.
            if (_options.Enrichment!.Hash.HoldExecutedFiles && (_execFiles = Kernel.Fanotify.ExecFileHolder.TryStart()) is { } held)
            {
                hasher.HeldFiles = held.Take;
                held.IsHashed = hasher.IsHashed;
            }
        }
        IReadOnlyList<IEventSource> sources = _options.Sources ?? SelectBackend();
        if (_enforcer is not null)
        {
            sources = [_enforcer, .. sources]; // first: the rules hold before the first event is read
            if (_enrichment?.Hasher is { } denyHasher)
                denyHasher.Hashed = _enforcer.OnHashed;
        }
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
            foreach (IEventSource source in sources)
            {
                if (!_sources.Contains(source))
                    source.Dispose(); // selected but not started: still holds its kernel objects
            }
            Dispose();
            throw;
        }
        ActiveBackend = BackendOf(_sources);
        if (_enforcer is { Degraded: { } degraded })
            Warning?.Invoke(this, new ErrorEventArgs(new ProcWatchException(FailureKind.KernelUnsupported, Kernel.Enforcement.DenyLevels.Warning(_enforcer.Level, degraded))));
        return _pipeline.Reader;
    }

    private IReadOnlyList<IEventSource> SelectBackend()
    {
        BackendSelection selection = BackendSelector.Select(_options.Backend, _options);
        if (selection.Warning is { } warning)
            Warning?.Invoke(this, new ErrorEventArgs(new ProcWatchException(selection.WarningKind, warning)));
        return selection.Sources;
    }

    private static Backend BackendOf(List<IEventSource> sources)
    {
        foreach (IEventSource source in sources)
        {
            switch (source)
            {
                case Kernel.Ebpf.EbpfExecSource: return Backend.Ebpf;
                case Kernel.ProcScan.ProcfsEventSource: return Backend.Procfs;
            }
        }
        return Backend.Connector;
    }

    /// <summary>
    /// Calls <paramref name="handler"/> for every event that <paramref name="filter"/> matches
    /// (like <c>register_process(pid, name, events, action)</c>). Handlers run on the thread
    /// pool, in order, never on the receive loop; at most <paramref name="capacity"/> events
    /// wait for a handler, more are dropped and counted (<see cref="EventSubscription.Dropped"/>).
    /// A handler that throws is reported through <see cref="Error"/> and goes on receiving.
    /// Register before or after <see cref="Start"/>; dispose the result to unregister. Events
    /// flow while the watcher runs: use <see cref="RunAsync"/> when nothing else consumes them.
    /// </summary>
    /// <param name="filter">Which events (every given condition must hold).</param>
    /// <param name="handler">Called with the event and a token that fires when the subscription ends.</param>
    /// <param name="capacity">Events queued for this handler before further ones are dropped.</param>
    /// <returns>The registration; dispose it to unregister.</returns>
    public EventSubscription On(EventFilter filter, Func<ProcessEvent, CancellationToken, ValueTask> handler, int capacity = 4096)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var subscription = new EventSubscription(filter, handler, capacity, _dispatcher.Remove, _dispatcher.OnHandlerFailed);
        _dispatcher.Add(subscription);
        return subscription;
    }

    /// <summary>An asynchronous handler without a token: <c>watcher.On(filter, async e =&gt; …)</c> binds here, not to an <c>async void</c>.</summary>
    /// <inheritdoc cref="On(EventFilter, Func{ProcessEvent, CancellationToken, ValueTask}, int)"/>
    public EventSubscription On(EventFilter filter, Func<ProcessEvent, Task> handler, int capacity = 4096)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return On(filter, (e, _) => new ValueTask(handler(e)), capacity);
    }

    /// <summary>A synchronous handler.</summary>
    /// <inheritdoc cref="On(EventFilter, Func{ProcessEvent, CancellationToken, ValueTask}, int)"/>
    public EventSubscription On(EventFilter filter, Action<ProcessEvent> handler, int capacity = 4096)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return On(filter, (e, _) =>
        {
            handler(e);
            return ValueTask.CompletedTask;
        }, capacity);
    }

    /// <summary>Watches until cancelled, for callers that only use <c>On</c> callbacks.</summary>
    /// <param name="cancellationToken">Stops watching; the task then completes (it does not throw for this cancellation).</param>
    /// <exception cref="ProcWatchException">The kernel interface is unusable, or failed while watching.</exception>
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
            stages.Add(_enrichment = new EnrichmentStage(enrichment, Statistics));
        if (_enforcer is not null)
            stages.Add(new Kernel.Enforcement.PostExecDenyStage(_enforcer)); // judges execs only when no kernel hook loads
        if (SourceKinds() != _options.Kinds)
            stages.Add(new KindFilterStage(_options.Kinds));
        stages.AddRange(_options.Stages);
        stages.Add(_dispatcher); // last: callbacks see enriched, filtered events
        return stages;
    }

    private ProcessEventKinds SourceKinds() => _options.SourceKinds;

    /// <summary>Starts (see <see cref="Start"/>) and streams events until <paramref name="cancellationToken"/> fires; then unsubscribes.</summary>
    /// <param name="cancellationToken">Ends the stream (quietly: the enumeration just stops).</param>
    /// <exception cref="ProcWatchException">The kernel interface is unusable, or failed while watching.</exception>
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
    /// <param name="options">What to watch and how.</param>
    /// <param name="cancellationToken">Ends the stream.</param>
    public static async IAsyncEnumerable<ProcessEvent> WatchAsync(
        WatchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var watcher = new ProcessWatcher(options);
        await foreach (ProcessEvent e in watcher.WatchAsync(cancellationToken).ConfigureAwait(false))
            yield return e;
    }

    /// <summary>
    /// Unsubscribes and releases every kernel resource (sockets, the eBPF program), including
    /// sources handed over in the options of a watcher that never started. Handlers finish
    /// what is queued for them.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (IEventSource source in _sources)
            source.Dispose();
        if (_pipeline is null && _options.Sources is { } handedOver)
        {
            foreach (IEventSource source in handedOver)
                source.Dispose(); // never started: the watcher still owns what it was given
        }
        _execFiles?.Dispose();
        _pipeline?.Complete();
        _dispatcher.CompleteAll();
    }

    private void ReportHandlerFailure(ProcessEvent e, Exception ex)
    {
        var error = new ProcWatchException(FailureKind.HandlerFailed,
            $"an event handler failed on {e.Kind.Name()} of pid {e.Pid}: {ex.GetType().Name}: {ex.Message}", ex);
        try
        {
            Error?.Invoke(this, new ErrorEventArgs(error));
        }
        catch (Exception)
        {
            // An Error handler that throws must not stop the subscription; the failure is counted.
        }
    }
}
