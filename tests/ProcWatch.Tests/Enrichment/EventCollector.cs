using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using ProcWatch.Events;
using ProcWatch.Tracking;
using ProcWatch.Watching;

namespace ProcWatch.Tests.Enrichment;

/// <summary>
/// A live, enriched watcher whose events are collected in the background. Tests share the
/// machine with other tests and engineers: they look only for their own processes (unique
/// tokens in argv, or their pids) and wait with generous deadlines.
/// </summary>
internal sealed class EventCollector : IDisposable
{
    private readonly ProcessWatcher _watcher;
    private readonly ConcurrentQueue<ProcessEvent> _events = new();
    private readonly Task _pump;

    public EventCollector(ProcessEventKinds kinds = ProcessEventKinds.Default, EnrichmentOptions? enrichment = null)
    {
        // The connector alone: these tests are about what /proc enrichment gives (eBPF has its own tests).
        _watcher = new ProcessWatcher(new WatchOptions { Kinds = kinds, Backend = Backend.Connector, Enrichment = enrichment ?? new EnrichmentOptions() });
        ChannelReader<ProcessEvent> reader = _watcher.Start();
        _pump = Task.Run(async () =>
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out ProcessEvent? e))
                    _events.Enqueue(e);
            }
        });
    }

    public WatcherStatistics Statistics => _watcher.Statistics;

    public static string NewToken() => "pwtok" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Waits (up to 15 s) for the first event matching <paramref name="match"/>.</summary>
    public T WaitFor<T>(Func<T, bool> match, string what) where T : ProcessEvent
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            foreach (ProcessEvent e in _events)
            {
                if (e is T t && match(t))
                    return t;
            }
            Thread.Sleep(20);
        }
        throw new TimeoutException($"no {what} within 15 s ({_events.Count} events seen)");
    }

    public static bool HasArg(ProcessEvent e, string token)
    {
        if (e.Process?.Args is not { } args)
            return false;
        foreach (string a in args)
        {
            if (a == token)
                return true;
        }
        return false;
    }

    public List<ProcessEvent> Snapshot() => [.. _events];

    public void Dispose()
    {
        _watcher.Dispose();
        _pump.Wait(TimeSpan.FromSeconds(5));
    }
}
