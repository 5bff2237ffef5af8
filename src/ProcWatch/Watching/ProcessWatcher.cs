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
/// cancel the enumeration) to unsubscribe and release every kernel resource;
/// <c>await using</c> also waits for the callbacks to finish what was queued for them.
/// </summary>
public sealed class ProcessWatcher : IDisposable, IAsyncDisposable
{
    private readonly WatchOptions _options;
    private readonly CallbackDispatcher _dispatcher;
    private WatchHost? _host;
    private int _started;
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
    public Backend ActiveBackend => _host?.ActiveBackend ?? Backend.Auto;

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
    /// <see cref="EnforcementLevel.Fanotify"/>, <see cref="EnforcementLevel.Signal"/> or <see cref="EnforcementLevel.PostExecKill"/> (reported through
    /// <see cref="Warning"/> when not the best); <see cref="EnforcementLevel.None"/> without rules.
    /// </summary>
    public EnforcementLevel EnforcementLevel => _host?.Enforcer?.Level ?? EnforcementLevel.None;

    /// <summary>The deny-rule enforcement (reload, counters), when there are deny rules.</summary>
    internal Kernel.Enforcement.DenyEnforcer? Enforcer => _host?.Enforcer;

    /// <summary>The running sources (for diagnostics: which backend is in use).</summary>
    internal IReadOnlyList<IEventSource> Sources => _host?.Sources ?? [];

    /// <summary>
    /// Subscribes and returns the event stream. Returns once the sources are ready: every
    /// event after this call is delivered or reported lost (<see cref="LostEvent"/>).
    /// </summary>
    /// <exception cref="ProcWatchException">The kernel interface is unusable (message says why; <see cref="ProcWatchException.Kind"/> says what to do).</exception>
    /// <exception cref="InvalidOperationException">The watcher has already started.</exception>
    public ChannelReader<ProcessEvent> Start() => StartQueue();

    /// <summary><see cref="Start"/> for consumers that block and batch (the benchmarks); the CLI and the daemon start a <see cref="WatchHost"/> themselves.</summary>
    internal EventQueue StartQueue()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException("This watcher has already started.");
        try
        {
            _host = WatchHost.Start(_options, new WatchHostSettings
            {
                Statistics = Statistics,
                LastStage = _dispatcher, // last: callbacks see enriched, filtered events
                Warning = (_, warning) => Warning?.Invoke(this, new ErrorEventArgs(warning)),
            });
        }
        catch
        {
            Dispose();
            throw;
        }
        return _host.Queue;
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
        _host?.Dispose();
        if (_started == 0 && _options.Sources is { } handedOver)
        {
            foreach (IEventSource source in handedOver)
                source.Dispose(); // never started: the watcher still owns what it was given
        }
        _dispatcher.CompleteAll();
    }

    /// <summary>
    /// <see cref="Dispose"/>, then waits until every handler registered with <c>On</c> has
    /// handled what was queued for it, so that what they wrote or counted is complete when this
    /// returns. A host's shutdown must not hang on a stuck handler: after
    /// <see cref="HandlerDrainLimit"/> the handlers' cancellation tokens fire and the wait ends.
    /// Not to be awaited from inside a handler (it would wait for itself until the limit).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Dispose();
        Task done = _dispatcher.HandlersDone();
        using var limit = new CancellationTokenSource();
        if (await Task.WhenAny(done, Task.Delay(HandlerDrainLimit, limit.Token)).ConfigureAwait(false) == done)
        {
            limit.Cancel(); // no timer left behind
            return;
        }
        _dispatcher.CancelAll();
        // Their tokens fired: a handler that honours it ends now; one that ignores it is left.
        await Task.WhenAny(done, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
    }

    /// <summary>How long <see cref="DisposeAsync"/> waits for the handlers to finish what was queued.</summary>
    public static TimeSpan HandlerDrainLimit { get; } = TimeSpan.FromSeconds(5);

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
