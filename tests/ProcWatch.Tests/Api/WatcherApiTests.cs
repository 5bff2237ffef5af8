using ProcWatch.Core;
using ProcWatch.Tests.Helpers;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Api;

/// <summary>The library's API is right by default: options checked when set, handlers that fail are reported, async handlers awaited.</summary>
public class WatcherApiTests
{
    /// <summary>Posts the events it is given from the caller's thread, like a receive thread would.</summary>
    private sealed class ManualSource : IEventSource
    {
        public IEventSink? Sink { get; private set; }
        public bool Disposed { get; private set; }
        public string Name => "manual";
        public void Start(IEventSink sink, WatcherStatistics statistics) => Sink = sink;
        public void Dispose() => Disposed = true;
    }

    private static ExecEvent Exec(int pid, string? exe = null, string[]? args = null) => new()
    {
        KernelTimeNs = 1, Timestamp = DateTimeOffset.UnixEpoch, Pid = pid, Tid = pid,
        Process = new ProcessInfo { Pid = pid, Name = exe is null ? null : Path.GetFileName(exe), Executable = exe, Args = args },
    };

    [KernelFact]
    public void QueueCapacityZero_IsRejectedWhenSet()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new WatchOptions { QueueCapacity = 0 });
        Assert.Equal("QueueCapacity", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WatchOptions() with { ReceiveBufferBytes = -1 });
    }

    [KernelFact]
    public void TheDefault_IsAutoWithEveryForkExecAndExit()
    {
        var options = new WatchOptions();
        Assert.Equal(Backend.Auto, options.Backend);
        Assert.Equal(ProcessEventKinds.Fork | ProcessEventKinds.Exec | ProcessEventKinds.Exit, options.Kinds);
    }

    [KernelFact]
    public void AWatcherNeverStarted_DisposesTheSourcesItWasGiven()
    {
        var source = new ManualSource();
        new ProcessWatcher(new WatchOptions { Sources = [source] }).Dispose();
        Assert.True(source.Disposed); // an eBPF source would otherwise keep its program's fd
    }

    [KernelFact]
    public async Task AnAsyncLambda_IsAwaited_AndItsFailureRaisesError()
    {
        var source = new ManualSource();
        using var watcher = new ProcessWatcher(new WatchOptions { Sources = [source], Enrichment = null });
        var failed = new TaskCompletionSource<ErrorEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Error += (_, e) => failed.TrySetResult(e);
        var handled = new List<int>();
        EventSubscription subscription = watcher.On(new EventFilter(), async e =>
        {
            await Task.Yield(); // an async void handler would let this exception crash the process
            if (e.Pid == 2)
                throw new InvalidOperationException("handler bug");
            lock (handled)
                handled.Add(e.Pid);
        });
        watcher.Start();
        source.Sink!.Post(Exec(1));
        source.Sink.Post(Exec(2));
        source.Sink.Post(Exec(3));
        ErrorEventArgs error = await failed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var ex = Assert.IsType<ProcWatchException>(error.GetException());
        Assert.Equal(FailureKind.HandlerFailed, ex.Kind);
        Assert.Equal("an event handler failed on exec of pid 2: InvalidOperationException: handler bug", ex.Message);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        watcher.Dispose();
        await subscription.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([1, 3], handled); // the handler went on after the failure
        Assert.Equal(1, subscription.Failed);
        Assert.Equal(2, subscription.Handled);
    }

    /// <summary><c>await using</c>: when DisposeAsync returns, a slow handler has handled all that was queued for it.</summary>
    [KernelFact]
    public async Task DisposeAsync_WaitsUntilTheHandlersHaveHandledWhatWasQueued()
    {
        var source = new ManualSource();
        var watcher = new ProcessWatcher(new WatchOptions { Sources = [source], Enrichment = null });
        EventSubscription slow = watcher.On(new EventFilter(), async e => await Task.Delay(200));
        long offered = 0;
        using EventSubscription fast = watcher.On(new EventFilter(), _ => Interlocked.Increment(ref offered));
        watcher.Start();
        for (int pid = 1; pid <= 3; pid++)
            source.Sink!.Post(Exec(pid));
        // The fast handler has seen all three: the dispatcher offered each to the slow one first.
        Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref offered) == 3, TimeSpan.FromSeconds(30)));
        Assert.True(slow.Handled < 3, "the slow handler should still be busy (each call takes 200 ms)");

        await watcher.DisposeAsync();

        Assert.True(slow.Completion.IsCompleted);
        Assert.Equal(3, slow.Handled);
    }

    /// <summary>A handler that never returns by itself does not hang DisposeAsync (a host's shutdown): its token fires after the limit.</summary>
    [KernelFact]
    public async Task DisposeAsync_CancelsAHandlerStillRunningAfterTheLimit()
    {
        var source = new ManualSource();
        var watcher = new ProcessWatcher(new WatchOptions { Sources = [source], Enrichment = null });
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        EventSubscription stuck = watcher.On(new EventFilter(), async (e, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        watcher.Start();
        source.Sink!.Post(Exec(1));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await watcher.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60)); // a deadline, not a timing assertion

        await stuck.Completion.WaitAsync(TimeSpan.FromSeconds(30)); // its token fired: the handler ended
        Assert.Equal(0, stuck.Handled);
    }

    [Fact]
    public void TheUnprivilegedEbpfFailure_IsNoPrivilege()
    {
        var unprivileged = new Failure(FailureKind.NoPrivilege, 1, FailureStep.BpfCapabilities);
        var noBtf = new Failure(FailureKind.KernelUnsupported, 2, FailureStep.FindKernelBtf, "/sys/kernel/btf/vmlinux");
        Assert.Equal(FailureKind.NoPrivilege, BackendFallback.ForcedEbpf(unprivileged).Kind);
        Assert.Equal("eBPF exec capture unavailable: needs CAP_BPF and CAP_PERFMON (or root)", BackendFallback.ForcedEbpf(unprivileged).Message);
        Assert.Equal(FailureKind.KernelUnsupported, BackendFallback.ForcedEbpf(noBtf).Kind);
        Assert.Equal("eBPF exec capture unavailable: kernel has no BTF (/sys/kernel/btf/vmlinux missing; needs CONFIG_DEBUG_INFO_BTF)", BackendFallback.ForcedEbpf(noBtf).Message);
    }

    [KernelTheory]
    [InlineData("/usr/bin/curl", "/usr/bin/curl", true)]
    [InlineData("/usr/bin/curl", "/usr/bin/curlx", false)]
    [InlineData("/usr/bin/*", "/usr/bin/curl", true)]
    [InlineData("/usr/*/curl", "/usr/local/bin/curl", true)] // '*' crosses '/': a glob over the whole string
    [InlineData("/usr/bin/cu?l", "/usr/bin/curl", true)]
    [InlineData("/usr/bin/curl", null, false)]
    public void Executable_IsAGlobOverThePath(string pattern, string? executable, bool matches) =>
        Assert.Equal(matches, new EventFilter { Executable = pattern }.Matches(Exec(10, executable)));

    [KernelFact]
    public void Executable_WithoutWildcards_AlsoMatchesWhatItResolvesTo()
    {
        string dir = Directory.CreateTempSubdirectory("pw-filter").FullName;
        try
        {
            string target = Path.Combine(dir, "python3.13");
            File.WriteAllText(target, "");
            string link = Path.Combine(dir, "python3");
            File.CreateSymbolicLink(link, "python3.13");
            var filter = new EventFilter { Executable = link };
            Assert.True(filter.Matches(Exec(1, link)));   // the execve path (eBPF)
            Assert.True(filter.Matches(Exec(1, target))); // the resolved /proc/PID/exe
            Assert.False(filter.Matches(Exec(1, Path.Combine(dir, "other"))));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [KernelFact]
    public void NameArgsAndPredicate_AllMustHold()
    {
        ExecEvent e = Exec(5, "/usr/bin/python3.13", ["python3", "-m", "http.server", "8000"]);
        Assert.True(new EventFilter { Name = "python3*" }.Matches(e));
        Assert.False(new EventFilter { Name = "python" }.Matches(e)); // no wildcard: exact
        Assert.True(new EventFilter { Args = "-m http.server" }.Matches(e));
        Assert.True(new EventFilter { Args = "/server [0-9]+$/" }.Matches(e));
        Assert.False(new EventFilter { Args = "/^bash/" }.Matches(e));
        Assert.True(new EventFilter { Predicate = x => x.Pid == 5 }.Matches(e));
        Assert.False(new EventFilter { Name = "python3*", Predicate = _ => false }.Matches(e));
        Assert.False(new EventFilter { Args = "x" }.Matches(Exec(6, "/bin/true"))); // argv unknown: no match
        Assert.False(new EventFilter { Kinds = ProcessEventKinds.Exit, Name = "python3*" }.Matches(e));
    }
}
