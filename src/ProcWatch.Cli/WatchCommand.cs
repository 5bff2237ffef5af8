using System.Diagnostics;
using System.Threading.Channels;
using ProcWatch.Events;
using ProcWatch.Kernel.ProcScan;
using ProcWatch.Output;
using ProcWatch.Watching;

namespace ProcWatch.Cli;

/// <summary>The live stream: subscribe, format each event, write in batches, report at the end.</summary>
internal static class WatchCommand
{
    public static async Task<int> RunAsync(WatchArgs args, CancellationToken cancellationToken)
    {
        using EventOutput output = args.OutputPath is null ? EventOutput.Stdout() : EventOutput.AppendTo(args.OutputPath);
        IEventFormatter formatter = args.Format == OutputFormat.Table ? new TableFormatter() : new EcsJsonFormatter();

        var options = new WatchOptions { Kinds = args.Kinds, ReceiveBufferBytes = args.BufferBytes };
        var procfs = new ProcfsOptions { Kinds = args.Kinds, ScanInterval = args.ScanInterval, UseInotify = args.UseInotify };
        BackendSelection backend = BackendSelector.Select(args.Backend, options, procfs);
        if (backend.Warning is not null)
            await Console.Error.WriteLineAsync($"procwatch: warning: {backend.Warning}").ConfigureAwait(false);
        using var watcher = new ProcessWatcher(options with { Sources = backend.Sources });
        ChannelReader<ProcessEvent> events = watcher.Start();
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

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (args.Duration is { } duration)
            stop.CancelAfter(duration);

        formatter.WriteHeader(output.Buffer);
        try
        {
            while (await events.WaitToReadAsync(stop.Token).ConfigureAwait(false))
            {
                while (events.TryRead(out ProcessEvent? e))
                    formatter.Write(e, output.Buffer);
                output.Flush();
                if (output.IsClosed)
                    break;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // SIGINT, SIGTERM or --duration: unsubscribe, flush what is queued, report.
        }

        watcher.Dispose();
        while (!output.IsClosed && events.TryRead(out ProcessEvent? e))
            formatter.Write(e, output.Buffer);
        output.Flush();

        if (args.Stats)
        {
            await Console.Error.WriteAsync(StatsReport.Format(watcher.Statistics, clock.Elapsed)).ConfigureAwait(false);
            foreach (IEventSource source in watcher.Sources)
            {
                if (source is ProcfsEventSource scanner)
                    await Console.Error.WriteLineAsync(
                        $"procfs: {scanner.InotifyScans + scanner.TimerScans} scans ({scanner.InotifyScans} woken by inotify, {scanner.TimerScans} by the timer), {scanner.InotifyEvents} inotify events").ConfigureAwait(false);
            }
        }
        return ExitCodes.Success;
    }

    private static string Describe(ProcessWatcher watcher)
    {
        var parts = new List<string>();
        foreach (IEventSource source in watcher.Sources)
        {
            parts.Add(source switch
            {
                Kernel.Connector.ConnectorEventSource connector =>
                    $"connector, kernel filter {(connector.KernelFiltered ? "on" : "off")}, receive buffer {connector.ReceiveBufferBytes / 1024} KiB",
                ProcfsEventSource scanner =>
                    $"procfs, scan every {scanner.Options.ScanInterval.TotalMilliseconds:F0} ms, inotify on {scanner.WatchedPaths.Count} paths",
                _ => source.Name,
            });
        }
        return string.Join("; ", parts);
    }
}
