using ProcWatch.Tests.Helpers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using ProcWatch.Events;
using ProcWatch.Kernel;
using ProcWatch.Kernel.ProcScan;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Kernel.ProcScan;

/// <summary>
/// The procfs backend against real processes. Each test spawns its own processes with a unique
/// token in argv and looks only at events about them; the machine is never assumed quiet.
/// </summary>
public class ProcfsEventSourceTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>A unique, valid extra argument for sleep (sleep sums its arguments): "0.000NNNNNNN".</summary>
    internal static string UniqueSleepToken() => $"0.000{Random.Shared.Next(10_000_000, 99_999_999)}";

    [KernelFact]
    public void ListsOwnPid()
    {
        using ProcDirectory proc = ProcDirectory.Open();
        Assert.Contains(Environment.ProcessId, proc.ListPids().ToArray());
        // Reused buffer: a second listing works the same.
        Assert.Contains(Environment.ProcessId, proc.ListPids().ToArray());
    }

    [KernelFact]
    public void ExecWakerWatchesTheLoaderAndWakesOnExec()
    {
        using ExecWaker? waker = ExecWaker.Create(out string? problem);
        Assert.Null(problem);
        Assert.NotNull(waker);
        Assert.Contains(waker.WatchedPaths, p => p.Contains("ld-linux", StringComparison.Ordinal) || p.Contains("ld-musl", StringComparison.Ordinal));
        Assert.Contains("/etc/ld.so.cache", waker.WatchedPaths);
        waker.Drain();
        using (Process child = Process.Start("/bin/true"))
            child.WaitForExit();
        Assert.True(WaitReadable(waker.Fd, 60_000));
        Assert.True(waker.Drain() > 0);
    }

    private static unsafe bool WaitReadable(int fd, int timeoutMs)
    {
        var pfd = new PollFd { fd = fd, events = 1 };
        return NativePoll(&pfd, 1, timeoutMs) == 1;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int fd;
        public short events;
        public short revents;
    }

    [DllImport("libc", EntryPoint = "poll")]
    private static extern unsafe int NativePoll(PollFd* fds, nuint nfds, int timeout);

    [KernelTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReportsExecWithArgvAndExitWithoutStatus(bool inotify)
    {
        var sink = new CollectingSink();
        using var source = new ProcfsEventSource(new ProcfsOptions { UseInotify = inotify });
        source.Start(sink, new WatcherStatistics());
        string token = UniqueSleepToken();
        // The child lives until its exec was seen, however slow the scans (a 0.3 s sleep could end
        // unseen on a loaded host), and at least 300 ms: the duration below has a floor to check.
        using Process child = Process.Start("/bin/sleep", ["300", token]);
        var lived = Stopwatch.StartNew();
        int pid = child.Id;

        ProcessEvent? exec = sink.WaitFor(e => e is ExecEvent && e.Pid == pid, Deadline);
        if (exec is null)
            child.Kill();
        Assert.NotNull(exec);
        Assert.Equal(EventOrigin.Procfs, exec.Origin);
        Assert.Equal(["/bin/sleep", "300", token], exec.Process?.Args);
        Assert.Equal(ArgvSource.Procfs, exec.Process?.ArgvSource);
        Assert.Equal(Environment.ProcessId, exec.Process?.ParentPid);

        if (lived.Elapsed < TimeSpan.FromMilliseconds(300))
            Thread.Sleep(TimeSpan.FromMilliseconds(300) - lived.Elapsed);
        child.Kill();
        child.WaitForExit();
        var exit = sink.WaitFor(e => e is ExitEvent && e.Pid == pid, Deadline) as ExitEvent;
        Assert.NotNull(exit);
        Assert.Null(exit.Status); // unknown, never 0
        Assert.Equal(EventOrigin.Procfs, exit.Origin);
        Assert.True(exit.Duration >= TimeSpan.FromMilliseconds(250), $"duration {exit.Duration}");
        Assert.True(exit.KernelTimeNs >= exec.KernelTimeNs);
    }

    [KernelFact]
    public void ReportsForkWithoutExecThenTheExec()
    {
        // perl (perl-base is essential on Debian) forks a copy of itself (same program and argv),
        // which waits until the test saw the fork (a gate file: a fixed 0.6 s could pass unseen on a
        // loaded host), then execs sleep, which lives until the test saw the exec.
        string token = UniqueSleepToken();
        string gate = Path.Combine(Path.GetTempPath(), "procwatch-gate-" + Guid.NewGuid().ToString("N"));
        const string script = "$p = fork; if (!$p) { select(undef, undef, undef, 0.02) until -e $ARGV[1]; exec '/bin/sleep', '300', $ARGV[0] } waitpid($p, 0)";
        var sink = new CollectingSink();
        using var source = new ProcfsEventSource();
        source.Start(sink, new WatcherStatistics());
        using Process parent = Process.Start("/usr/bin/perl", ["-e", script, token, gate]);
        try
        {
            var fork = sink.WaitFor(e => e is ForkEvent f && f.ParentPid == parent.Id, Deadline) as ForkEvent;
            Assert.NotNull(fork);
            Assert.Equal(EventOrigin.Procfs, fork.Origin);
            Assert.Equal(["/usr/bin/perl", "-e", script, token, gate], fork.Process?.Args);
            int child = fork.Pid;
            File.WriteAllText(gate, "");

            ProcessEvent? exec = sink.WaitFor(e => e is ExecEvent && e.Pid == child, Deadline);
            Assert.NotNull(exec);
            Assert.Equal(["/bin/sleep", "300", token], exec.Process?.Args);
            Assert.Equal("/usr/bin/sleep", exec.Process?.Executable);

            using (Process sleeper = Process.GetProcessById(child)) // perl's unreaped child: the pid is still ours
                sleeper.Kill();
            Assert.True(parent.WaitForExit(60_000), "perl did not end after its child was killed");
            Assert.NotNull(sink.WaitFor(e => e is ExitEvent && e.Pid == child, Deadline));
            Assert.NotNull(sink.WaitFor(e => e is ExitEvent && e.Pid == parent.Id, Deadline));
        }
        finally
        {
            File.Delete(gate);
            if (!parent.HasExited)
                parent.Kill(entireProcessTree: true);
        }
    }

    [KernelTheory]
    [InlineData("0.3")] // young: rechecked on every scan
    [InlineData("2.6")] // older than RecheckYoungFor: found by the once-a-second recheck of everything
    public void ReportsTheExecOfARunningProcessWithoutFork(string delay)
    {
        var sink = new CollectingSink();
        using var source = new ProcfsEventSource();
        source.Start(sink, new WatcherStatistics());
        string token = UniqueSleepToken();
        // dash runs `sleep` in a child, then replaces itself: same pid, new program, no fork. The
        // new program lives until the test saw it (1.2 s could pass unseen on a loaded host).
        using Process shell = Process.Start("/bin/sh", ["-c", $"sleep {delay}; exec /bin/sleep 300 {token}"]);

        try
        {
            ProcessEvent? exec = sink.WaitFor(e => e is ExecEvent && e.Pid == shell.Id && e.Process?.Args is [_, _, var t] && t == token, Deadline);
            Assert.NotNull(exec);
            Assert.Equal(["/bin/sleep", "300", token], exec.Process?.Args);
            Assert.Equal("/usr/bin/sleep", exec.Process?.Executable);
            Assert.Null(sink.Find(e => e is ExitEvent && e.Pid == shell.Id && e.KernelTimeNs < exec.KernelTimeNs));
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
            shell.WaitForExit();
        }
    }

    [KernelFact]
    public void ReportsOnlyTheWantedKinds()
    {
        var sink = new CollectingSink();
        using var source = new ProcfsEventSource(new ProcfsOptions { Kinds = ProcessEventKinds.Exit });
        source.Start(sink, new WatcherStatistics());
        string token = UniqueSleepToken();
        using Process child = Process.Start("/bin/sleep", ["0.2", token]);
        child.WaitForExit();
        Assert.NotNull(sink.WaitFor(e => e is ExitEvent && e.Pid == child.Id, Deadline));
        Assert.Null(sink.Find(e => e is not ExitEvent));
    }

    [KernelFact]
    public void DisposeStopsTheScanThreadPromptly()
    {
        var source = new ProcfsEventSource(new ProcfsOptions { ScanInterval = TimeSpan.FromSeconds(30) });
        source.Start(new CollectingSink(), new WatcherStatistics());
        var clock = Stopwatch.StartNew();
        source.Dispose();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
    }
}
