using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using ProcWatch.Events;
using ProcWatch.Tracking;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Helpers;

/// <summary>
/// A running, enriched <see cref="ProcessWatcher"/> (the connector alone: eBPF has its own
/// tests) whose events are kept for assertions. Other tests and engineers run processes at
/// the same time, so queries look only at a test's own processes: the trees of the pids it
/// spawned, or unique tokens in argv (<see cref="NewToken"/>), with generous deadlines.
/// </summary>
internal sealed class EventCollector : IDisposable
{
    private static readonly TimeSpan TreeWait = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan AnyWait = TimeSpan.FromSeconds(60);
    private const int MaxKept = 2_000_000;

    private readonly ProcessWatcher _watcher;
    private readonly List<ProcessEvent> _events = [];
    private readonly Lock _gate = new();
    private readonly Task _pump;

    public EventCollector(ProcessEventKinds kinds = ProcessEventKinds.Default, EnrichmentOptions? enrichment = null, Backend backend = Backend.Connector)
    {
        _watcher = new ProcessWatcher(new WatchOptions { Kinds = kinds, Backend = backend, Enrichment = enrichment ?? new EnrichmentOptions() });
        ChannelReader<ProcessEvent> reader = _watcher.Start(); // subscribed: nothing after this is missed
        _pump = Task.Run(async () =>
        {
            await foreach (ProcessEvent e in reader.ReadAllAsync())
            {
                lock (_gate)
                {
                    if (_events.Count < MaxKept) _events.Add(e);
                }
            }
        });
    }

    /// <summary>Every kind by default: the connector tests look at all of them.</summary>
    public static EventCollector Start(ProcessEventKinds kinds = ProcessEventKinds.All) => new(kinds);

    public WatcherStatistics Statistics => _watcher.Statistics;

    public static string NewToken() => "pwtok" + Guid.NewGuid().ToString("N")[..12];

    public List<ProcessEvent> Snapshot()
    {
        lock (_gate)
            return [.. _events];
    }

    /// <summary>
    /// Events of <paramref name="root"/> and its descendants (followed through fork events), in
    /// arrival order. A pid names one process only from its fork to its exit: other processes
    /// hold it before and after (pids are reused; tests that write ns_last_pid make whole runs of
    /// processes share a few pids). So when this test process forked <paramref name="root"/>, the
    /// tree starts at that fork, and each pid leaves the tree at its process's exit.
    /// </summary>
    public List<ProcessEvent> Tree(int root)
    {
        var pids = new HashSet<int>();
        var result = new List<ProcessEvent>();
        lock (_gate)
        {
            // The root's own fork (parent: this test process), when fork events are collected;
            // else (a kinds filter without fork, a root forked by another) every event of its pid.
            int start = _events.FindIndex(e => e is ForkEvent { IsThread: false } f && f.Pid == root && f.ParentPid == Environment.ProcessId);
            if (start < 0)
                start = 0;
            pids.Add(root);
            for (int i = start; i < _events.Count; i++)
            {
                ProcessEvent e = _events[i];
                if (e is ForkEvent { IsThread: false } f && pids.Contains(f.ParentPid))
                    pids.Add(f.Pid);
                if (!pids.Contains(e.Pid))
                    continue;
                result.Add(e);
                if (e is ExitEvent { IsThread: false })
                    pids.Remove(e.Pid); // a later holder of the pid is another process (descendants stay)
            }
        }
        return result;
    }

    /// <summary>Waits (up to 60 s) for the first event of any process matching <paramref name="match"/>.</summary>
    public T WaitFor<T>(Func<T, bool> match, string what) where T : ProcessEvent
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < AnyWait)
        {
            foreach (ProcessEvent e in Snapshot())
            {
                if (e is T t && match(t))
                    return t;
            }
            Thread.Sleep(20);
        }
        throw new TimeoutException($"no {what} within {AnyWait.TotalSeconds} s ({Snapshot().Count} events seen)");
    }

    /// <summary>Polls until an event of <paramref name="root"/>'s tree matches, or fails after ~60 s with what was seen.</summary>
    public T WaitFor<T>(int root, Func<T, bool> match, string what) where T : ProcessEvent
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            foreach (ProcessEvent e in Tree(root))
            {
                if (e is T t && match(t))
                    return t;
            }
            if (deadline.Elapsed > TreeWait)
                Assert.Fail($"no {what} for the tree of {root} within {TreeWait.TotalSeconds} s; seen:\n{Describe(root)}");
            Thread.Sleep(20);
        }
    }

    /// <summary>Waits until <paramref name="count"/> events of <paramref name="root"/>'s tree match; returns them.</summary>
    public List<T> WaitForCount<T>(int root, Func<T, bool> match, int count, string what) where T : ProcessEvent
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            List<T> found = Tree(root).OfType<T>().Where(match).ToList();
            if (found.Count >= count)
                return found;
            if (deadline.Elapsed > TreeWait)
                Assert.Fail($"{found.Count} of {count} {what} for the tree of {root} within {TreeWait.TotalSeconds} s; seen:\n{Describe(root)}");
            Thread.Sleep(20);
        }
    }

    public string Describe(int root)
    {
        var sb = new StringBuilder();
        foreach (ProcessEvent e in Tree(root))
            sb.AppendLine(e.ToString());
        return sb.ToString();
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

    public void Dispose()
    {
        _watcher.Dispose(); // unsubscribes and completes the queue: the pump ends
        _pump.Wait(TimeSpan.FromSeconds(10));
    }
}
