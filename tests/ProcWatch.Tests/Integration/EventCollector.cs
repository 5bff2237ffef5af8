using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using ProcWatch.Events;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Integration;

/// <summary>
/// A running <see cref="ProcessWatcher"/> whose events are kept for assertions. Other tests
/// (and other engineers) run processes at the same time, so queries only ever look at the
/// process trees of the pids a test spawned itself.
/// </summary>
internal sealed class EventCollector : IDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);
    private const int MaxKept = 2_000_000;

    private readonly ProcessWatcher _watcher;
    private readonly List<ProcessEvent> _events = [];
    private readonly Lock _gate = new();
    private readonly Task _pump;

    private EventCollector(ProcessEventKinds kinds)
    {
        // The connector alone: these tests are about what the connector delivers (eBPF has its own tests).
        _watcher = new ProcessWatcher(new WatchOptions { Kinds = kinds, Backend = Backend.Connector });
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

    public static EventCollector Start(ProcessEventKinds kinds = ProcessEventKinds.All) => new(kinds);

    public WatcherStatistics Statistics => _watcher.Statistics;

    /// <summary>Events of <paramref name="root"/> and its descendants (followed through fork events), in arrival order.</summary>
    public List<ProcessEvent> Tree(int root)
    {
        var pids = new HashSet<int> { root };
        var result = new List<ProcessEvent>();
        lock (_gate)
        {
            foreach (ProcessEvent e in _events)
            {
                if (e is ForkEvent { IsThread: false } f && pids.Contains(f.ParentPid))
                    pids.Add(f.Pid);
                if (pids.Contains(e.Pid))
                    result.Add(e);
            }
        }
        return result;
    }

    /// <summary>Polls until an event of <paramref name="root"/>'s tree matches, or fails after ~10 s with what was seen.</summary>
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
            if (deadline.Elapsed > DefaultWait)
                Assert.Fail($"no {what} for the tree of {root} within {DefaultWait.TotalSeconds} s; seen:\n{Describe(root)}");
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
            if (deadline.Elapsed > DefaultWait)
                Assert.Fail($"{found.Count} of {count} {what} for the tree of {root} within {DefaultWait.TotalSeconds} s; seen:\n{Describe(root)}");
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

    public void Dispose()
    {
        _watcher.Dispose(); // unsubscribes and completes the queue: the pump ends
        _pump.Wait(TimeSpan.FromSeconds(10));
    }
}
