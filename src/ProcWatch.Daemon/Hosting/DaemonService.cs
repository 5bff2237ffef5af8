using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ProcWatch.Daemon.Configuration;
using ProcWatch.Daemon.Health;
using ProcWatch.Events;
using ProcWatch.Output;
using ProcWatch.Output.Sinks;
using ProcWatch.Rules;
using ProcWatch.Text;
using ProcWatch.Watching;

namespace ProcWatch.Daemon.Hosting;

/// <summary>
/// The daemon's event loop: subscribe, write each recorded event to every output, test the
/// rules and respond (alert, kill, queue exec actions), flush per batch. Everything slow
/// (actions, status clients) runs elsewhere, so intake never waits for it. Start fails
/// with a one-line <see cref="ProcWatchException"/>; stop drains what is queued, flushes,
/// and waits for running actions.
/// </summary>
internal sealed partial class DaemonService : IHostedService, IDisposable
{
    private readonly DaemonConfig _config;
    private readonly ILogger _log;
    private readonly Lock _outputGate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly EcsJsonFormatter _formatter = new();
    private readonly ArrayBufferWriter<byte> _line = new(16 * 1024);
    private readonly OwnProcessTracker _own = new(Environment.ProcessId);
    private readonly ProcessKiller _killer = new();
    private readonly Flood.UserFloodGuard _flood;
    private List<IOutputSink> _outputs = [];
    private bool _formatLines; // some output takes the ECS line (ClickHouse writes its own rows)
    /// <summary>Swapped whole by a SIGHUP reload, under <see cref="_outputGate"/> (where events are judged).</summary>
    private RuleSet _ruleSet = new([]);
    private readonly List<int> _sigmaFired = [];
    /// <summary>What the watcher was subscribed to at start; a reload cannot widen it.</summary>
    private ProcessEventKinds _subscribed;
    private ProcessEventKinds _recorded;
    private WatchHost? _watcher;
    private EventQueue? _events;
    private ActionRunner? _actions;
    private MetricsServer? _server;
    private PosixSignalRegistration? _sighup;
    private Task _loop = Task.CompletedTask;
    private Task _healthLog = Task.CompletedTask;

    private readonly IHostApplicationLifetime _lifetime;

    public DaemonService(DaemonConfig config, ILogger<DaemonService> log, IHostApplicationLifetime lifetime)
    {
        _config = config;
        _flood = new Flood.UserFloodGuard(config.Flood);
        _log = log;
        _lifetime = lifetime;
    }

    /// <summary>Set when the event loop died of an unexpected error (the daemon then stops with exit code 1).</summary>
    public Exception? Failure { get; private set; }

    public DaemonMetrics? Metrics { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _recorded = _config.Events;
        _ruleSet = SigmaRules.Build(_config, _log);

        _outputs = OutputFactory.Open(_config.Outputs, problem => DaemonLog.OutputProblem(_log, problem));
        _formatLines = _outputs.Exists(o => o.TakesJsonLine);
        _actions = new ActionRunner(_config.Actions, OnActionFinished);

        // Fork and exit are needed to know the daemon's own descendants, which rules skip
        // (always: a reload may bring the first rule).
        _subscribed = _recorded | _ruleSet.Kinds | ProcessEventKinds.Fork | ProcessEventKinds.Exit;
        ProcessEventKinds subscribed = _subscribed;
        // The same choice as the CLI's default (configurable: backend): eBPF exec capture (exact argv) with the
        // connector where it loads, the connector alone otherwise, /proc scanning in containers.
        var options = new WatchOptions
        {
            Kinds = subscribed,
            Backend = _config.Backend,
            Enrichment = new Tracking.EnrichmentOptions
            {
                Hash = _config.Hash, AncestorDepth = _config.Ancestors,
                Containers = _config.Containers with { Warning = message => DaemonLog.ContainerRuntimeWarning(_log, message) },
            },
            DenyRules = _config.DenyRules,
            DenyProtectedPaths = ActionPrograms(_config),
        };
        // Procfs events carry a pidfd taken when their data was read: the kill reaches only that process.
        var procfs = new Kernel.ProcScan.ProcfsOptions { Kinds = options.Kinds, PinProcesses = true };
        var statistics = new WatcherStatistics();
        Metrics = new DaemonMetrics(statistics, _outputs, _ruleSet.Rules, _actions.Counters, _flood);
        StartServer(Metrics);
        try
        {
            _watcher = WatchHost.Start(options, new WatchHostSettings
            {
                Statistics = statistics,
                Procfs = procfs,
                Warning = (about, warning) =>
                {
                    if (about == WatchWarning.BackendFallback)
                        DaemonLog.BackendWarning(_log, warning.Message);
                    else
                        DaemonLog.DenyWarning(_log, warning.Message);
                },
            });
        }
        catch
        {
            _server?.Dispose(); // no watch, no status to serve
            throw;
        }
        _events = _watcher.Queue;
        Metrics.Enforcer = _watcher.Enforcer;
        StartHeartbeats(Metrics, string.Join("+", _watcher.Sources.Select(s => s.Name))); // the sources are known once started

        _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            lock (_outputGate)
            {
                foreach (IOutputSink output in _outputs)
                    output.Reopen();
            }
            DaemonLog.Reopened(_log);
            ReloadRules();
        });

        // Its own thread, blocked while nothing happens: no thread-pool hand-off per batch.
        _loop = Task.Factory.StartNew(() => Run(_events, _stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (_config.Health.LogInterval > TimeSpan.Zero)
            _healthLog = Task.Run(() => LogCountersAsync(_config.Health.LogInterval, _stop.Token), CancellationToken.None);
        DaemonLog.Ready(_log, string.Join(", ", _watcher.Sources.Select(s => s.Name)), _config.Source, _outputs.Count, _ruleSet.Rules.Length, KindList(_recorded), DenySummary());
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _server?.Dispose();
        await _loop.ConfigureAwait(false);
        await _healthLog.ConfigureAwait(false);
        if (_actions is not null)
            await _actions.DisposeAsync().ConfigureAwait(false);
        lock (_outputGate)
        {
            foreach (IOutputSink output in _outputs)
                output.Flush();
        }
        if (Metrics is not null)
            DaemonLog.Stopped(_log, Metrics.Summary());
    }

    public void Dispose()
    {
        _sighup?.Dispose();
        _watcher?.Dispose();
        _killer.Dispose();
        _server?.Dispose();
        lock (_outputGate)
        {
            foreach (IOutputSink output in _outputs)
                output.Dispose();
            _outputs = [];
        }
        _stop.Dispose();
    }

    private void StartServer(DaemonMetrics metrics)
    {
        _server = new MetricsServer(metrics.RenderPrometheus, MetricsAccess.Create(_config.Health.MetricsTokenFile, _config.Health.RuleMetrics));
        if (_config.Health.Socket is { } path)
        {
            try
            {
                _server.ListenUnix(path);
            }
            catch (ProcWatch.Files.UnsafeFileException ex)
            {
                // Someone else's file or link where ours should be: refuse to start, as for an output file.
                throw new ProcWatchException(FailureKind.UnsafeFile, "health.socket: " + ex.Message);
            }
            catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
            {
                DaemonLog.StatusSocketFailed(_log, path, ex.Message);
            }
        }
        if (_config.Health.Listen is { } endpoint)
        {
            try
            {
                _server.ListenHttp(endpoint);
            }
            catch (SocketException ex)
            {
                throw new ProcWatchException(FailureKind.SystemError, $"cannot listen on {endpoint} for metrics: {ex.Message}");
            }
            DaemonLog.MetricsListening(_log, endpoint.ToString());
        }
    }

    private void Run(EventQueue events, CancellationToken stop)
    {
        var consumer = new EventConsumer(events, new JudgingHandler(this), coalesceNs: EventConsumer.RespondingCoalesceNs); // rules respond on this thread
        try
        {
            consumer.Run(stop); // returns on SIGTERM: unsubscribe, then write out everything already received
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Failure = ex;
            DaemonLog.LoopFailed(_log, ex.Message);
            _lifetime.StopApplication();
        }
        _watcher!.Dispose();
        try
        {
            consumer.DrainRest(); // the sources are stopped: a finite rest
        }
        catch (Exception ex) when (Failure is not null)
        {
            // Already failing and reported once; a second failure on the way out says nothing new.
            _ = ex;
        }
    }

    /// <summary>Records, judges and writes each batch under <see cref="_outputGate"/> (a SIGHUP reload swaps rules under it).</summary>
    private sealed class JudgingHandler(DaemonService daemon) : IEventBatchHandler
    {
        public bool Closed => false;

        public bool Finished => false;

        public void Handle(ReadOnlySpan<ProcessEvent> batch)
        {
            lock (daemon._outputGate)
            {
                foreach (ProcessEvent e in batch)
                    daemon.Handle(e);
            }
        }

        public void Flush()
        {
            lock (daemon._outputGate)
            {
                foreach (IOutputSink output in daemon._outputs)
                    output.Flush();
            }
        }
    }

    private void Handle(ProcessEvent e)
    {
        _own.Observe(e);
        // Rules judge the whole event; what is written of a flooding user's events is cut.
        ProcessEvent written = e;
        if (!_own.IsOwn(e) && _flood.Admit(e, out written, out long window) == Flood.FloodVerdict.CutAndAlert)
            RaiseFlood(written, window);
        if (e is LostEvent lost)
        {
            DaemonLog.Lost(_log, EcsJsonFormatter.LostReasonName(lost.Reason), lost.Count);
            Write(e, null);
        }
        else if (_recorded.Contains(e.Kind) || e is DeniedEvent || (e.Kind == ProcessEventKind.Hash && _recorded.Contains(ProcessEventKind.Exec)))
        {
            Write(written, null);
        }
        if (e is ExecEvent { Process.ArgsTruncated: true } && !_own.IsOwn(e))
        {
            // Rules saw only a prefix of this argv (it was beyond the kernel capture's limit and
            // /proc no longer had it): padding argv is how rules are evaded, so say it loudly.
            Write(written, ArgvTruncatedAlert);
            Metrics!.OnAlert();
        }
        if (e is ExecEvent { Process.ExecutableUnknown: true } && !_own.IsOwn(e))
        {
            // A program ran from a path too long for anything to name: rules on the executable
            // could not see it (issue 20, H7).
            Write(written, BuiltInAlerts.ExecutableUnknown); // cut like the event when its user floods
            Metrics!.OnAlert();
        }
        if (_ruleSet.Rules.Length > 0 && !_own.IsOwn(e))
            Evaluate(e, written, _ruleSet);
        _own.Forget(e);
    }

    /// <summary>
    /// SIGHUP: the configuration file is read again and its rules replace the running ones.
    /// An invalid file changes nothing (one line says why). Only rules are reloaded: outputs,
    /// recorded events, backend, actions and health settings need a restart.
    /// </summary>
    private void ReloadRules()
    {
        if (_config.Source == DefaultConfig.SourceName)
            return; // nothing to re-read (a file that is gone is reported below, not skipped)
        RuleSet fresh;
        DaemonConfig loaded;
        try
        {
            loaded = ConfigLoader.Load(_config.Source);
            if (loaded.EmptyFile)
            {
                // Truncated by a careless `: >` or a tool that truncates before it writes: never disarm for that.
                DaemonLog.ReloadEmptyFile(_log, _config.Source, _ruleSet.Rules.Length);
                return;
            }
            fresh = SigmaRules.Build(loaded, _log);
        }
        catch (Exception ex) when (ex is ConfigException or ProcWatchException) // Build turns a Sigma path gone since the check into a ProcWatchException
        {
            DaemonLog.ReloadFailed(_log, ex.Message, _ruleSet.Rules.Length);
            return;
        }
        if (fresh.Rules.Length == 0 && _ruleSet.Rules.Length > 0 && !loaded.RulesExplicitlyEmpty)
        {
            DaemonLog.ReloadWouldDisarm(_log, _config.Source, _ruleSet.Rules.Length);
            return;
        }
        if (!ReloadDenyRules(loaded.DenyRules))
            return;
        ProcessEventKinds missing = fresh.Kinds & ~_subscribed;
        if (missing != ProcessEventKinds.None)
            DaemonLog.ReloadNeedsRestart(_log, KindList(missing));
        lock (_outputGate)
        {
            _ruleSet = fresh;
            Metrics!.ReplaceRules(fresh.Rules);
        }
        DaemonLog.RulesReloaded(_log, fresh.Rules.Length, _config.Source);
    }

    private void Write(ProcessEvent e, AlertInfo? alert)
    {
        _line.ResetWrittenCount();
        if (_formatLines && alert is null) _formatter.Write(e, _line);
        else if (_formatLines) _formatter.WriteAlert(e, alert!, _line);
        foreach (IOutputSink output in _outputs)
            output.Write(e, alert, _line.WrittenSpan);
    }

    /// <summary>A user's first event past the flood bound this minute: one alert naming the user, and a log line.</summary>
    private void RaiseFlood(ProcessEvent e, long window)
    {
        IdName user = e.Process?.User ?? new IdName(uint.MaxValue, null);
        string name = user.Name ?? user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        DaemonLog.Flood(_log, TerminalText.Escape(name), user.Id, window, _config.Flood.BytesPerMinute, _config.Flood.ArgvKeptBytes);
        Write(e, FloodAlert with
        {
            Description = $"user {name} (uid {user.Id}) wrote {window} bytes of events within a minute (bound {_config.Flood.BytesPerMinute}); " +
                $"arguments beyond {_config.Flood.ArgvKeptBytes} bytes are cut for this user until the minute ends",
        });
        Metrics!.OnAlert();
    }

    /// <summary>The built-in alert for a user whose events exceed the flood bound (docs/alerts-and-floods.md).</summary>
    internal static readonly AlertInfo FloodAlert = new("procwatch-flood", RuleSeverity.High.Name(), RuleSeverity.High.Score());

    /// <summary>The built-in alert for an exec whose argv could not be captured whole (README: Alerts).</summary>
    internal static readonly AlertInfo ArgvTruncatedAlert = BuiltInAlerts.ArgvTruncated;

    private async Task LogCountersAsync(TimeSpan interval, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                DaemonLog.Counters(_log, Metrics!.Summary());
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static string KindList(ProcessEventKinds kinds)
    {
        var sb = new StringBuilder();
        foreach (ProcessEventKind kind in Enum.GetValues<ProcessEventKind>())
        {
            if (!kinds.Contains(kind)) continue;
            if (sb.Length > 0) sb.Append(',');
            sb.Append(kind.Name());
        }
        return sb.ToString();
    }
}
