using System.Threading.Channels;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel;
using ProcWatch.Kernel.Connector;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// Issue 26, each event from one record: with the BPF programs attached, forks, execs and exits
/// are built from the ring's record alone (nothing joined with the connector), the connector's
/// own count of them checks the ring's completeness, and a storm gives each event once.
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class OneRecordTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Every event the watcher delivers, kept for the assertions (bounded).</summary>
    internal sealed class Recorder : IDisposable
    {
        private readonly ProcessWatcher _watcher;
        private readonly List<ProcessEvent> _events = [];
        private readonly Lock _gate = new();

        /// <summary>The connector of the eBPF backend (it counts the ring's kinds for the cross-check).</summary>
        public ConnectorEventSource Connector { get; }

        /// <summary>The ring's source.</summary>
        public EbpfExecSource EbpfSource { get; }

        public Recorder(IReadOnlyList<IEventSource> sources)
        {
            Connector = sources.OfType<ConnectorEventSource>().Single();
            EbpfSource = sources.OfType<EbpfExecSource>().Single();
            _watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.Default, Sources = sources });
            ChannelReader<ProcessEvent> reader = _watcher.Start();
            _ = Task.Run(async () =>
            {
                await foreach (ProcessEvent e in reader.ReadAllAsync())
                {
                    lock (_gate)
                    {
                        if (_events.Count < 2_000_000)
                            _events.Add(e);
                    }
                }
            });
        }

        /// <param name="countInKernel">False: the connector receives and counts its copies (the fallback path).</param>
        public static Recorder Ebpf(ExecCaptureOptions? capture = null, bool countInKernel = true)
        {
            Assert.True(BackendSelector.TryComposeEbpf(new WatchOptions { Kinds = ProcessEventKinds.Default }, out IEventSource[]? sources, out Failure why, capture, countInKernel), FailureText.OneLine(why));
            return new Recorder(sources);
        }

        public List<ProcessEvent> WaitUntil(Func<List<ProcessEvent>, bool> done)
        {
            DateTime until = DateTime.UtcNow + Deadline;
            while (true)
            {
                List<ProcessEvent> now;
                lock (_gate)
                    now = [.. _events];
                if (done(now) || DateTime.UtcNow > until)
                    return now;
                Thread.Sleep(50);
            }
        }

        public void Dispose() => _watcher.Dispose();
    }

    [KernelFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void ForkExecExit_AreBuiltFromTheRingAlone_FieldByField()
    {
        string dir = Directory.CreateTempSubdirectory("procwatch-onerecord-").FullName;
        try
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
            string token = ExecCollector.NewToken();
            string[] argv = ["/bin/sh", "-c", "exit 7", "sh-" + token, "two words", "", "tab\there"];
            using var recorder = Recorder.Ebpf();
            // One pid: forked by us, exec'd by sh, then setpriv, then the final sh as nobody in dir.
            using var child = Programs.Start("/bin/sh",
                ["-c", "cd \"$1\" && shift && exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$@\"", "sh", dir, .. argv]);
            child.WaitForExit();
            Assert.Equal(7, child.ExitCode);
            int pid = child.Id;

            List<ProcessEvent> events = recorder.WaitUntil(all => all.Exists(e => e is ExitEvent { IsThread: false } x && x.Pid == pid));
            List<ProcessEvent> mine = events.FindAll(e => e.Pid == pid && e is ForkEvent or ExecEvent or ExitEvent);

            ForkEvent fork = Assert.Single(mine.OfType<ForkEvent>());
            Assert.Equal(EventOrigin.Ebpf, fork.Origin);
            Assert.Equal(pid, fork.Tid);
            Assert.Equal(Environment.ProcessId, fork.ParentPid);
            Assert.NotNull(fork.Process!.StartBootNs);

            List<ExecEvent> execs = mine.OfType<ExecEvent>().ToList();
            Assert.Equal(3, execs.Count); // sh, setpriv, sh: each once, none doubled by the connector
            Assert.All(execs, e => Assert.Equal(EventOrigin.Ebpf, e.Origin));
            ProcessInfo p = execs[^1].Process!;
            Assert.Equal(pid, p.Pid);
            Assert.Equal(Environment.ProcessId, p.ParentPid);
            Assert.Equal(Environment.ProcessId, p.Parent!.Pid);
            Assert.Equal(argv, p.Args);
            Assert.Equal(ArgvSource.Ebpf, p.ArgvSource);
            Assert.Equal(ExecutableSource.Ebpf, p.ExecutableSource);
            Assert.Equal("/usr/bin/dash", p.Executable);
            Assert.Equal(dir, p.WorkingDirectory);
            Assert.Equal(65534u, p.User!.Value.Id);
            Assert.Equal(65534u, p.Group!.Value.Id);
            Assert.Equal(fork.Process.EntityId, p.EntityId);
            Assert.Equal("setpriv", execs[1].Process!.Args![0]);

            ExitEvent exit = Assert.Single(mine.OfType<ExitEvent>());
            Assert.Equal(EventOrigin.Ebpf, exit.Origin);
            Assert.Equal(7, exit.Status!.Value.ExitCode);
            Assert.Equal(Environment.ProcessId, exit.ParentPid);
            Assert.Equal(p.EntityId, exit.Process!.EntityId);
            Assert.NotNull(exit.Duration);
            Assert.NotNull(exit.UserCpu);
            Assert.True(exit.PeakRssBytes > 0);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Ring records consumed but never delivered (a test hook discards them, as a bug would):
    /// the kernel's drop counters know nothing, the connector counted each exec, and the
    /// window comparison reports them as lost, with their own reason.
    /// </summary>
    /// <remarks>Both ways of counting the connector's copies: by its socket filter in the kernel, and in user space (the fallback).</remarks>
    [KernelTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void CrossCheck_ReportsExecsTheRingDidNotDeliver(bool countInKernel)
    {
        const int Count = 50;
        string token = ExecCollector.NewToken();
        using var recorder = Recorder.Ebpf(new ExecCaptureOptions
        {
            DiscardForTest = r => r is ExecRecord { Argv: [_, var first, ..] } && first.StartsWith(token, StringComparison.Ordinal),
        }, countInKernel);
        Assert.Equal(countInKernel, recorder.Connector.KernelCounted);
        // After the first window is judged: it counts the ring's execs and exits of the second
        // before the start (LifecycleCrossCheck.RingLeadNs), a surplus that hides as much of a
        // shortfall there (on a busy host, dozens: "reported 17 of 50", main's code too).
        WaitPastTheFirstWindow(recorder);
        // All at once (background jobs, then wait): on a loaded machine a loop spreads them over
        // many windows at two or fewer each, which the cross-check takes for the edge effect
        // (LifecycleCrossCheck.EdgeAllowance) by design; a burst is the loss it must report.
        Assert.Equal(0, Programs.Run("/bin/sh", "-c", $"i=0; while [ $i -lt {Count} ]; do /bin/true {token}-$i & i=$((i+1)); done; wait"));

        // A window's few events near its edge may be taken for the edge effect (LifecycleCrossCheck.EdgeAllowance).
        const long AtLeast = Count - 2 * LifecycleCrossCheck.EdgeAllowance;
        List<ProcessEvent> events = recorder.WaitUntil(all => CrossCheckLosses(all) >= AtLeast);
        Assert.True(CrossCheckLosses(events) >= AtLeast, $"cross-check reported {CrossCheckLosses(events)} of {Count} undelivered execs");
        Assert.DoesNotContain(events, e => e is ExecEvent { Process.Args: [_, var first, ..] } && first.StartsWith(token, StringComparison.Ordinal));
        LostEvent loss = events.OfType<LostEvent>().First(l => l.Reason == LossReason.CrossCheck);
        Assert.Equal(EventOrigin.Ebpf, loss.Origin);
    }

    /// <summary>
    /// A process whose main thread exits seconds before its last thread: the connector reports
    /// the main thread's exit as the process's at once, the ring's exit record comes with the
    /// last thread, windows later. The kernel's count of such early exits keeps the cross-check
    /// from calling that a loss (it did, in a CI run with tests in parallel).
    /// </summary>
    [KernelFact]
    public void AMainThreadThatExitsBeforeItsLastThread_IsOneExit_AndNoCrossCheckLoss()
    {
        string program = NativeHelpers.Build("leader_exits_first.c", "-pthread");
        using var recorder = Recorder.Ebpf();
        Assert.True(recorder.Connector.KernelCounted, recorder.Connector.KernelCountFallback); // the connector's exits counted by its socket filter
        using var process = Programs.Start(program, "2500");
        int pid = process.Id;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);

        // The main thread's window is judged LifecycleCrossCheck.SettleNs after it ends, on a
        // one-second tick: 2.5 s after the exit record, plus a margin, it has been.
        List<ProcessEvent> events = recorder.WaitUntil(all => all.Exists(e => e is ExitEvent { IsThread: false } x && x.Pid == pid));
        Thread.Sleep(TimeSpan.FromSeconds(4));
        events = recorder.WaitUntil(_ => true);
        ExitEvent exit = Assert.Single(events.OfType<ExitEvent>(), x => !x.IsThread && x.Pid == pid);
        Assert.Equal(EventOrigin.Ebpf, exit.Origin);
        Assert.Equal(0, exit.Status?.ExitCode);
        Assert.Equal(0, CrossCheckLosses(events));
    }

    /// <summary>
    /// A group exit (exit_group from a second thread) whose last thread leaves seconds after the
    /// main thread: the connector reports the main thread's exit as the process's at once, the
    /// ring's record comes with the last thread, windows later. The main thread left in a group
    /// exit, which the early-exit count used to leave out: a false cross-check loss of 1 (seen
    /// under load, with threads of an exiting process not scheduled or in D state for seconds).
    /// Here the last thread is held by its tracer at PTRACE_EVENT_EXIT (late_group_exit.c).
    /// </summary>
    [KernelFact]
    public void AGroupExitWhoseLastThreadLeavesWindowsAfterItsMainThread_IsOneExit_AndNoCrossCheckLoss()
    {
        string program = NativeHelpers.Build("late_group_exit.c", "-pthread");
        using var recorder = Recorder.Ebpf();
        Assert.True(recorder.Connector.KernelCounted, recorder.Connector.KernelCountFallback);
        // Past the first windows: their ring surplus (records stamped just before the start)
        // stays in the carry a few windows and could net the shortfall this test is about.
        LifecycleCrossCheck check = recorder.EbpfSource.CrossCheck!;
        long settled = check.FirstOpenWindow + 5;
        DateTime until = DateTime.UtcNow + Deadline;
        while (check.FirstOpenWindow < settled && DateTime.UtcNow < until)
            Thread.Sleep(50);
        using var process = Programs.Start(program, "2500");
        int pid = int.Parse(process.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"late_group_exit: {process.ExitCode} {process.StandardError.ReadToEnd()}");

        // The main thread's window (2.5 s or more before the exit record) is judged
        // LifecycleCrossCheck.SettleNs after it ends, on a one-second tick: with a margin, it has been.
        List<ProcessEvent> events = recorder.WaitUntil(all => all.Exists(e => e is ExitEvent { IsThread: false } x && x.Pid == pid));
        Thread.Sleep(TimeSpan.FromSeconds(5));
        events = recorder.WaitUntil(_ => true);
        ExitEvent exit = Assert.Single(events.OfType<ExitEvent>(), x => !x.IsThread && x.Pid == pid);
        Assert.Equal(EventOrigin.Ebpf, exit.Origin);
        Assert.Equal(0, exit.Status?.ExitCode);
        Assert.Equal(0, CrossCheckLosses(events));
    }

    /// <summary>
    /// An exit in flight when the connector begins: sched_process_exit has fired (the ring's
    /// record is stamped before the start), the proc connector's exit comes only after exit_mm
    /// has freed 2 GB (hundreds of milliseconds, after the start). Counted on the connector's
    /// side only, that was a false cross-check loss in the first window (seen in a full test
    /// run, where procwatch instances start while other tests' processes exit).
    /// </summary>
    [KernelFact]
    public void AnExitInFlightWhenTheConnectorBegins_IsNoCrossCheckLoss()
    {
        string program = NativeHelpers.Build("big_exit.c");
        using var process = Programs.Start(program, "2048");
        Assert.Equal('r', (char)process.StandardOutput.Read()); // its memory is touched
        int pid = process.Id;
        // The BPF programs attached (the ring records from here), the connector not begun yet.
        Assert.True(BackendSelector.TryComposeEbpf(new WatchOptions { Kinds = ProcessEventKinds.Default }, out IEventSource[]? sources, out Failure why), FailureText.OneLine(why));
        process.Kill();
        while (!Exiting(pid))
            Thread.Sleep(1);
        long before = KernelClock.MonotonicNs();
        using var recorder = new Recorder(sources); // the connector begins after `before`
        Assert.True(recorder.Connector.KernelCounted, recorder.Connector.KernelCountFallback);
        process.WaitForExit();

        List<ProcessEvent> events = recorder.WaitUntil(all => all.Exists(e => e is ExitEvent { IsThread: false } x && x.Pid == pid));
        ExitEvent exit = Assert.Single(events.OfType<ExitEvent>(), x => !x.IsThread && x.Pid == pid);
        Assert.True(exit.KernelTimeNs < before, "the ring's exit record was stamped before the connector began");
        // The first windows are judged LifecycleCrossCheck.SettleNs after they end, on a one-second tick.
        Thread.Sleep(TimeSpan.FromSeconds(6));
        events = recorder.WaitUntil(_ => true);
        Assert.Equal(0, CrossCheckLosses(events));
    }

    /// <summary>Until the cross-check has judged the window it began in (a few seconds; bounded by <see cref="Deadline"/>).</summary>
    private static void WaitPastTheFirstWindow(Recorder recorder)
    {
        LifecycleCrossCheck check = recorder.EbpfSource.CrossCheck!;
        long first = check.FirstOpenWindow;
        DateTime until = DateTime.UtcNow + Deadline;
        while (check.FirstOpenWindow <= first && DateTime.UtcNow < until)
            Thread.Sleep(50);
    }

    /// <summary>PF_EXITING (0x4) in /proc/PID/stat's flags: do_exit has begun (set just before sched_process_exit).</summary>
    private static bool Exiting(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (uint.Parse(fields[6], System.Globalization.CultureInfo.InvariantCulture) & 0x4) != 0;
    }

    private static long CrossCheckLosses(List<ProcessEvent> events)
    {
        long sum = 0;
        foreach (ProcessEvent e in events)
        {
            if (e is LostEvent { Reason: LossReason.CrossCheck } l)
                sum += l.Count;
        }
        return sum;
    }

    /// <summary>Thousands of forks at full speed: each child's fork and exit exactly once, none missing, none doubled.</summary>
    [KernelFact]
    public void ForkStorm_EachChildForkedAndEndedExactlyOnce()
    {
        const int Count = 3000;
        using var recorder = Recorder.Ebpf();
        using var shell = Programs.Start("/bin/sh", "-c", $"i=0; while [ $i -lt {Count} ]; do ( : ); i=$((i+1)); done");
        shell.WaitForExit();
        Assert.Equal(0, shell.ExitCode);
        int sh = shell.Id;

        List<ProcessEvent> events = recorder.WaitUntil(all => all.Exists(e => e is ExitEvent { IsThread: false } x && x.Pid == sh));
        var forks = new Dictionary<string, int>();
        var children = new HashSet<int>();
        foreach (ProcessEvent e in events)
        {
            if (e is ForkEvent { IsThread: false } f && f.ParentPid == sh)
            {
                Assert.Equal(EventOrigin.Ebpf, f.Origin);
                string entity = f.Process!.EntityId!;
                forks[entity] = forks.GetValueOrDefault(entity) + 1;
                children.Add(f.Pid);
            }
        }
        var exits = new Dictionary<string, int>();
        foreach (ProcessEvent e in events)
        {
            if (e is ExitEvent { IsThread: false } x && x.Process?.EntityId is { } entity && forks.ContainsKey(entity))
                exits[entity] = exits.GetValueOrDefault(entity) + 1;
        }
        Assert.Equal(Count, forks.Count);
        Assert.All(forks, kv => Assert.Equal(1, kv.Value));
        Assert.Equal(Count, exits.Count);
        Assert.All(exits, kv => Assert.Equal(1, kv.Value));
        Assert.DoesNotContain(events, e => e is LostEvent { Origin: EventOrigin.Ebpf });
    }
}
