using System.Diagnostics;
using ProcWatch.Cli.Sigma;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Filtering;
using ProcWatch.Kernel.ProcScan;
using ProcWatch.Output;
using ProcWatch.Tracking;
using ProcWatch.Watching;

namespace ProcWatch.Cli;

/// <summary>The live stream: subscribe, format each event, write in batches, report at the end.</summary>
internal static class WatchCommand
{
    /// <summary>At the end, how long an output may take nothing before procwatch stops without it.</summary>
    private static readonly TimeSpan StalledOutput = TimeSpan.FromSeconds(2);

    /// <summary>After COMMAND exits, how long to wait for the events of its tree still in flight.</summary>
    private static readonly TimeSpan DrainAfterCommand = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(WatchArgs args, CancellationToken cancellationToken)
    {
        using EventOutput output = args.OutputPath is null ? EventOutput.Stdout() : EventOutput.AppendTo(args.OutputPath);
        // On a terminal a line is cut to its width (-w: whole lines); pipes and files get whole lines.
        using TerminalWidth? terminal = args.ShowEvents && args.OutputPath is null && !args.Wide ? TerminalWidth.OfStdout() : null;
        IEventFormatter? formatter = args.ShowEvents ? CreateFormatter(args, terminal) : null;

        SigmaAlertWriter? sigma = SigmaStream.Open(args, Console.Error);
        // Sigma judges execs: they are watched even when -e does not show them.
        ProcessEventKinds watched = args.SigmaPaths.Count == 0 ? args.Kinds : args.Kinds | ProcessEventKinds.Exec;
        var options = new WatchOptions
        {
            Kinds = watched,
            Backend = args.Backend,
            ReceiveBufferBytes = args.BufferBytes,
            QueueCapacity = args.QueueCapacity,
            Enrichment = new EnrichmentOptions
            {
                IncludeEnvironment = args.Environment, Filter = BuildFilter(args), Hash = args.Hash, AncestorDepth = args.AncestorDepth,
                Containers = args.ContainerRuntimes with { Warning = message => Console.Error.WriteLine(ErrorLine.Format($"warning: {message}")) },
            },
        };
        var procfs = new ProcfsOptions { Kinds = watched, ScanInterval = args.ScanInterval, UseInotify = args.UseInotify };
        if (args.Realtime)
            Kernel.RealtimeScheduling.Request(); // before any receive thread starts (eBPF's starts as the backend is chosen)
        using WatchHost watcher = WatchHost.Start(options, new WatchHostSettings
        {
            Procfs = procfs,
            Warning = static (_, warning) => Console.Error.WriteLine(ErrorLine.Format($"warning: {warning.Message}")),
        });
        EventQueue events = watcher.Queue;
        var clock = Stopwatch.StartNew();
        foreach (IEventSource source in watcher.Sources)
        {
            if (source is ProcfsEventSource scanner)
            {
                foreach (string note in scanner.Notes)
                    await Console.Error.WriteLineAsync($"procwatch: note: {note}").ConfigureAwait(false);
            }
        }
        if (args.Verbose)
            await Console.Error.WriteLineAsync($"procwatch: ready ({Describe(watcher)})").ConfigureAwait(false);

        // With COMMAND, signals go to it and procwatch stops when it ends; otherwise signals stop procwatch.
        using var stop = args.Command is null
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
            : new CancellationTokenSource();
        if (args.Duration is { } duration)
            stop.CancelAfter(duration);
        TracedCommand? command = null;
        if (args.Command is not null)
        {
            try
            {
                // Standard output carries the events to a pipe or file: COMMAND's own output goes to
                // standard error, so `procwatch -f json -- make | jq` reads events only.
                bool eventsOnStdout = args.ShowEvents && args.OutputPath is null;
                command = TracedCommand.Start(args.Command, stdoutToStderr: eventsOnStdout && Interop.Libc.IsATty(1) == 0);
            }
            catch (CommandStartException ex)
            {
                await Console.Error.WriteLineAsync(ErrorLine.Format(ex.Message)).ConfigureAwait(false);
                return ex.ExitCode;
            }
        }
        using TracedCommand? commandScope = command;
        if (command is not null)
        {
            _ = command.Exited.ContinueWith(_ => stop.CancelAfter(DrainAfterCommand), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        ExecTally? tally = args.Stats ? new ExecTally() : null;
        using Report.ReportRecorder? report = args.ReportPath is null ? null : new Report.ReportRecorder(args.ReportPath, args.Command!);
        if (formatter is not null)
        {
            // At once, before any event: with a filter that matches nothing yet, the screen says it is watching.
            formatter.WriteHeader(output.Buffer);
            output.Flush();
            if (terminal is not null && args.Format != OutputFormat.Table)
                await Console.Error.WriteLineAsync("procwatch: watching… (Ctrl-C to stop)").ConfigureAwait(false);
        }
        var consumer = new EventConsumer(events, new FormattingHandler(formatter, output, tally, command, report, sigma,
            args.SigmaPaths.Count == 0 ? (ProcessEventKinds)(-1) : args.Kinds));
        Task consuming = RunOnOwnThread("procwatch-output", () => consumer.Run());
        // Until SIGINT, SIGTERM, --duration or COMMAND's end, or the consumer stops by itself
        // (closed output, COMMAND's exit printed, an error).
        await Task.WhenAny(consuming, Task.Delay(Timeout.Infinite, stop.Token)).ConfigureAwait(false);

        // Unsubscribe: the queue then ends after what is already in it, which the consumer writes.
        watcher.Dispose();
        bool written = await FinishesWhileWriting(consuming, consumer, output.CanStall).ConfigureAwait(false);
        if (!written)
        {
            // Nobody reads our pipe or terminal (a pager left waiting, a stuck pipe): do not hang on it.
            output.Abandon();
            await Console.Error.WriteLineAsync(
                $"procwatch: {output.Name} is not being read; stopped without writing {events.Count} queued event(s)").ConfigureAwait(false);
        }
        else
        {
            await consuming.ConfigureAwait(false); // its error, if any, is the run's
            report?.Finish();
        }

        if (args.Stats)
        {
            await Console.Error.WriteAsync(StatsReport.Format(watcher.Statistics, clock.Elapsed, tally, filtered: options.Enrichment.Filter is not null)).ConfigureAwait(false);
            foreach (IEventSource source in watcher.Sources)
            {
                if (source is ProcfsEventSource scanner)
                    await Console.Error.WriteLineAsync(
                        $"procfs: {scanner.InotifyScans + scanner.TimerScans} scans ({scanner.InotifyScans} woken by inotify, {scanner.TimerScans} by the timer), {scanner.InotifyEvents} inotify events").ConfigureAwait(false);
                if (source is Kernel.ExecFailures.ExecFailureSource failures)
                    await Console.Error.WriteLineAsync($"execfail: {failures.Delivered} failed execs delivered, {failures.Drops} dropped by the kernel (reported as lost)").ConfigureAwait(false);
            }
        }
        if (!written)
            return ExitCodes.OutputFailed;
        if (command is not null)
        {
            // --duration may stop the watch first: the command keeps running, and we wait for it.
            return await command.Exited.ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    /// <summary>
    /// The consumer runs on a thread of its own, blocked in <see cref="EventQueue.WaitToRead"/>
    /// while nothing happens: no thread-pool worker or timer is woken per batch of events.
    /// </summary>
    private static Task RunOnOwnThread(string name, Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }) { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// Waits for the consumer to finish for as long as it makes progress: a large backlog to a
    /// slow file is written out, but an output that takes nothing for <see cref="StalledOutput"/> is given up.
    /// </summary>
    private static async Task<bool> FinishesWhileWriting(Task consuming, EventConsumer consumer, bool canStall)
    {
        if (!canStall)
        {
            await Task.WhenAny(consuming).ConfigureAwait(false); // a regular file: however slow, it is written
            return true;
        }
        long seen = consumer.Handled;
        var quiet = Stopwatch.StartNew();
        while (!consuming.IsCompleted)
        {
            await Task.WhenAny(consuming, Task.Delay(100)).ConfigureAwait(false);
            long now = consumer.Handled;
            if (now != seen)
            {
                seen = now;
                quiet.Restart();
            }
            else if (quiet.Elapsed > StalledOutput)
            {
                return false;
            }
        }
        return true;
    }

    private static IEventFormatter CreateFormatter(WatchArgs args, TerminalWidth? terminal)
    {
        IEventFormatter formatter = args.Format switch
        {
            // A narrow terminal gets the table without its EUID and TTY columns.
            OutputFormat.Table => new TableFormatter(compact: terminal is { Columns: < TableFormatter.CompactBelowColumns }),
            OutputFormat.Tree => new TreeFormatter(args.Tree),
            _ => new EcsJsonFormatter(),
        };
        return terminal is null ? formatter : new LineFittingFormatter(formatter, () => terminal.Columns);
    }

    /// <summary>Formats each event into the output buffer; the consumer flushes it once per pass (the buffer also when full).</summary>
    private sealed class FormattingHandler(IEventFormatter? formatter, EventOutput output, ExecTally? tally, TracedCommand? command,
        Report.ReportRecorder? report, SigmaAlertWriter? sigma, ProcessEventKinds shown) : IEventBatchHandler
    {
        private bool _commandExitSeen;

        public bool Closed => output.IsClosed;

        /// <summary>COMMAND's exit has been printed and the command reaped.</summary>
        public bool Finished => _commandExitSeen && command!.Exited.IsCompleted;

        public void Handle(ReadOnlySpan<ProcessEvent> batch)
        {
            foreach (ProcessEvent e in batch)
            {
                if (shown.Contains(e.Kind) || e.Kind == ProcessEventKind.Lost || (e.Kind == ProcessEventKind.Hash && shown.Contains(ProcessEventKind.Exec)))
                {
                    formatter?.Write(e, output.Buffer);
                    report?.Record(e);
                    tally?.Add(e);
                }
                sigma?.AfterEvent(e, output.Buffer, report);
                if (command is not null && e is ExitEvent { IsThread: false } exit && exit.Pid == command.Pid)
                    _commandExitSeen = true;
                output.FlushIfFull(); // a backlog goes out in ~64 KiB writes, between whole lines
            }
        }

        public void Flush()
        {
            output.Flush();
            report?.Flush();
        }
    }

    private static ProcessFilter? BuildFilter(WatchArgs args)
    {
        if (args.Pids.Count == 0 && args.Command is null && args.UserId is null && args.Match is null && args.Containers is null && args.Threads)
            return null;
        return new ProcessFilter
        {
            Pids = args.Pids.Count > 0 ? args.Pids : null,
            DescendantsOf = args.Command is null ? null : Environment.ProcessId,
            UserId = args.UserId,
            Match = args.Match,
            Containers = args.Containers,
            IncludeThreads = args.Threads,
        };
    }

    private static string Describe(WatchHost watcher)
    {
        var parts = new List<string>();
        foreach (IEventSource source in watcher.Sources)
        {
            parts.Add(source switch
            {
                Kernel.Connector.ConnectorEventSource connector =>
                    $"connector, kernel filter {(connector.KernelFiltered ? "on" : "off")}, receive buffer {connector.ReceiveBufferBytes / 1024} KiB{CrossCheckCount(connector)}",
                Kernel.Ebpf.EbpfExecSource ebpf =>
                    $"fork, exec and exit from eBPF, argv from eBPF ({ebpf.AttachMode})",
                ProcfsEventSource scanner =>
                    $"procfs, scan every {scanner.Options.ScanInterval.TotalMilliseconds:F0} ms, inotify on {scanner.WatchedPaths.Count} paths",
                Kernel.ExecFailures.ExecFailureSource failures => $"failed execs from eBPF ({failures.AttachMode})",
                _ => source.Name,
            });
        }
        return string.Join("; ", parts);
    }

    /// <summary>Where the connector counts its copies of the ring's events for the cross-check (nothing when it posts them all).</summary>
    private static string CrossCheckCount(Kernel.Connector.ConnectorEventSource connector) =>
        connector.KernelCounted ? ", cross-check counted in kernel"
        : connector.CountsOnly ? $", cross-check counted here{(connector.KernelCountFallback is { } why ? $" ({why})" : "")}"
        : "";
}
