using ProcWatch.Core;
using ProcWatch.Kernel.ProcScan;
using ProcWatch.Tracking;

namespace ProcWatch.Watching;

/// <summary>Which part of a start a warning is about: the daemon logs them apart.</summary>
internal enum WatchWarning
{
    /// <summary><see cref="Backend.Auto"/> fell back (no eBPF, or no connector).</summary>
    BackendFallback,
    /// <summary>Deny rules run at a lower level than the best (or after the exec).</summary>
    DenyDegraded,
    /// <summary>Failed execs were asked for (<c>-e execfail</c>) and the hook does not load here: everything else runs.</summary>
    ExecFailuresUnavailable,
}

/// <summary>What a front end adds to <see cref="WatchOptions"/> when it starts a watch.</summary>
internal sealed record WatchHostSettings
{
    /// <summary>Counted into from the first event; the owner may hand it to its metrics before the start.</summary>
    public WatcherStatistics Statistics { get; init; } = new();

    /// <summary>/proc scanning's settings, when the procfs backend is chosen or fallen back to; null: the defaults for the options' kinds.</summary>
    public ProcfsOptions? Procfs { get; init; }

    /// <summary>The stage after every other (the facade's callback dispatcher), or null.</summary>
    public IEventStage? LastStage { get; init; }

    /// <summary>Told, on the starting thread, each one-line warning (a fallback, degraded deny rules) with its kind.</summary>
    public Action<WatchWarning, ProcWatchException>? Warning { get; init; }
}

/// <summary>
/// The one way a watch starts, for the public <see cref="ProcessWatcher"/>, the CLI and the
/// daemon alike: deny rules resolved, the stages built, the backend chosen by
/// <see cref="BackendSelector"/> (its fallbacks and their warnings exist only there), the
/// sources started. The owner consumes <see cref="Queue"/> (an <c>await foreach</c>, or
/// <see cref="EventConsumer"/>'s thread) and disposes the host to unsubscribe.
/// </summary>
internal sealed class WatchHost : IDisposable
{
    private readonly List<IEventSource> _sources = [];
    private readonly EventPipeline _pipeline;
    private readonly Kernel.Fanotify.ExecFileHolder? _execFiles;
    private int _disposed;

    private WatchHost(EventPipeline pipeline, Kernel.Enforcement.DenyEnforcer? enforcer, Kernel.Fanotify.ExecFileHolder? execFiles, WatcherStatistics statistics)
    {
        _pipeline = pipeline;
        Enforcer = enforcer;
        _execFiles = execFiles;
        Statistics = statistics;
    }

    /// <summary>The events, in order; completes after <see cref="Dispose"/> (or with the error that stopped a source).</summary>
    public EventQueue Queue => _pipeline.Reader;

    public WatcherStatistics Statistics { get; }

    /// <summary>The running sources (which backend is in use: -v, the daemon's ready line, doctor).</summary>
    public IReadOnlyList<IEventSource> Sources => _sources;

    /// <summary><see cref="Backend.Ebpf"/>, <see cref="Backend.Connector"/> or <see cref="Backend.Procfs"/>: what <see cref="Backend.Auto"/> resolved to.</summary>
    public Backend ActiveBackend { get; private set; } = Backend.Auto;

    /// <summary>The deny-rule enforcement (reload, counters), when there are deny rules.</summary>
    public Kernel.Enforcement.DenyEnforcer? Enforcer { get; }

    /// <summary>Starts watching: every event after this returns is delivered or reported lost.</summary>
    /// <exception cref="ProcWatchException">The kernel interface is unusable (message says why; Kind says what to do).</exception>
    /// <exception cref="ArgumentException">A deny rule is invalid (checked before anything touches the kernel).</exception>
    public static WatchHost Start(WatchOptions options, WatchHostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        options.Validate();
        Kernel.Enforcement.DenyEnforcer? enforcer = options.DenyRules.Count > 0
            ? new Kernel.Enforcement.DenyEnforcer(options.DenyRules, options.DenyProtectedPaths, options.DenyAttachModes)
            : null;
        EnrichmentStage? enrichment = options.Enrichment is { } enrichmentOptions ? new EnrichmentStage(enrichmentOptions, settings.Statistics) : null;
        var pipeline = new EventPipeline(Stages(options, enrichment, enforcer, settings.LastStage), options.QueueCapacity, settings.Statistics);
        Kernel.Fanotify.ExecFileHolder? execFiles = null;
        if (enrichment?.Hasher is { } hasher)
        {
            // Hashes that come after their exec enter the stream like any event (the stages see them in order).
            hasher.FollowUp = (waiter, sha256, status) => pipeline.Post(HashFollowUps.Create(waiter, sha256, status));
            // Every executed file held from its exec (fanotify, root only): a dropper that
            // deletes itself and exits at once is still hashed. Unavailable: nothing held.
            if (options.Enrichment!.Hash.HoldExecutedFiles && (execFiles = Kernel.Fanotify.ExecFileHolder.TryStart()) is { } held)
            {
                hasher.HeldFiles = held.Take;
                hasher.HeldReadThrough = held.HasReadThrough;
                held.IsHashed = hasher.IsHashed;
                held.Wanted = hasher.OfferHeld;
            }
        }
        var host = new WatchHost(pipeline, enforcer, execFiles, settings.Statistics);
        IReadOnlyList<IEventSource> sources = options.Sources ?? [];
        Kernel.ExecFailures.ExecFailureSource? execFailures = null;
        ProcWatchException? execFailuresUnavailable = null;
        try
        {
            sources = options.Sources ?? Select(options, settings, enrichment?.SeededTree());
            if (enforcer is not null)
            {
                sources = [enforcer, .. sources]; // first: the rules hold before the first event is read
                if (enrichment?.Hasher is { } denyHasher)
                    denyHasher.Hashed = enforcer.OnHashed;
            }
            // Before the other sources start, so before the first exec is hashed: its object's
            // BTF load then does not come on top of the hasher's libcrypto and buffers (issue
            // 26's peak RSS). Listed, and its warning told, after them, as before.
            if ((options.Kinds & ProcessEventKinds.ExecFailed) != 0 && !HasExecFailures(sources))
                execFailures = StartExecFailures(pipeline, settings, out execFailuresUnavailable);
            foreach (IEventSource source in sources)
            {
                source.Start(pipeline, settings.Statistics);
                host._sources.Add(source);
            }
        }
        catch
        {
            foreach (IEventSource source in sources)
            {
                if (!host._sources.Contains(source))
                    source.Dispose(); // selected but not started: still holds its kernel objects
            }
            execFailures?.Dispose();
            host.Dispose(); // a forced backend that cannot run, a source that fails: nothing stays held
            throw;
        }
        if (execFailures is not null)
            host._sources.Add(execFailures);
        if (execFailuresUnavailable is not null)
            settings.Warning?.Invoke(WatchWarning.ExecFailuresUnavailable, execFailuresUnavailable);
        host.ActiveBackend = BackendOf(host._sources);
        if (enforcer is { Degraded: { } degraded })
        {
            settings.Warning?.Invoke(WatchWarning.DenyDegraded, new ProcWatchException(FailureKind.KernelUnsupported,
                Kernel.Enforcement.DenyLevels.Warning(enforcer.Level, Core.FailureText.OneLine(degraded))));
        }
        return host;
    }

    /// <summary>
    /// Failed exec attempts (<c>-e execfail</c>), whatever the backend: a host that cannot load
    /// the hook says so through the warning (<paramref name="unavailable"/>) and everything else still runs.
    /// </summary>
    private static Kernel.ExecFailures.ExecFailureSource? StartExecFailures(EventPipeline pipeline, WatchHostSettings settings, out ProcWatchException? unavailable)
    {
        var source = new Kernel.ExecFailures.ExecFailureSource();
        try
        {
            source.Start(pipeline, settings.Statistics);
            unavailable = null;
            return source;
        }
        catch (ProcWatchException e)
        {
            source.Dispose();
            unavailable = e;
            return null;
        }
    }

    private static bool HasExecFailures(IReadOnlyList<IEventSource> sources)
    {
        foreach (IEventSource source in sources)
        {
            if (source is Kernel.ExecFailures.ExecFailureSource)
                return true;
        }
        return false;
    }

    /// <summary>The backend's sources; a fallback is told once, here, worded by the selector.</summary>
    private static IReadOnlyList<IEventSource> Select(WatchOptions options, WatchHostSettings settings, IReadOnlyList<int>? seededTree)
    {
        BackendSelection selection = BackendSelector.Select(options.Backend, options, settings.Procfs, seededTree);
        if (selection.Warning is { } warning)
            settings.Warning?.Invoke(WatchWarning.BackendFallback, new ProcWatchException(selection.WarningKind, warning));
        return selection.Sources;
    }

    /// <summary>
    /// The stages in order: the process table's enrichment and filter, deny rules judged after
    /// the exec where no kernel hook loads, the kind filter, the caller's stages, then the last
    /// (callbacks see enriched, filtered events).
    /// </summary>
    private static List<IEventStage> Stages(WatchOptions options, EnrichmentStage? enrichment, Kernel.Enforcement.DenyEnforcer? enforcer, IEventStage? last)
    {
        var stages = new List<IEventStage>();
        if (enrichment is not null)
            stages.Add(enrichment);
        if (enforcer is not null)
            stages.Add(new Kernel.Enforcement.PostExecDenyStage(enforcer)); // judges execs only when no kernel hook loads
        if (options.SourceKinds != options.Kinds)
            stages.Add(new KindFilterStage(options.Kinds));
        stages.AddRange(options.Stages);
        if (last is not null)
            stages.Add(last);
        return stages;
    }

    private static Backend BackendOf(List<IEventSource> sources)
    {
        foreach (IEventSource source in sources)
        {
            switch (source)
            {
                case Kernel.Ebpf.EbpfExecSource: return Backend.Ebpf;
                case ProcfsEventSource: return Backend.Procfs;
            }
        }
        return Backend.Connector;
    }

    /// <summary>Unsubscribes and releases every kernel resource; the queue then completes after what it holds.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (IEventSource source in _sources)
            source.Dispose();
        _execFiles?.Dispose();
        _pipeline.Complete();
    }
}
