using ProcWatch.Events;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Integration;

/// <summary>
/// The real kernel (run as root): spawn real processes and assert every expected event with
/// the right pids, codes, signals, names and ids. Only the tests' own process trees are looked at.
/// </summary>
public class ConnectorIntegrationTests
{
    private static readonly int Self = Environment.ProcessId;

    [KernelFact]
    public void ExitCode_ForkExecExit()
    {
        using var events = EventCollector.Start();
        (int pid, int code) = Spawn.Run("/bin/sh", ["-c", "exit 3"]);
        Assert.Equal(3, code);

        ForkEvent fork = events.WaitFor<ForkEvent>(pid, e => e.Pid == pid, "fork");
        Assert.Equal(ProcessEventKind.Fork, fork.Kind);
        Assert.Equal(pid, fork.Tid);
        Assert.Equal(Self, fork.ParentPid);

        events.WaitFor<ExecEvent>(pid, e => e.Pid == pid && e.Tid == pid, "exec");

        ExitEvent exit = events.WaitFor<ExitEvent>(pid, e => e.Pid == pid, "exit");
        Assert.False(exit.IsThread);
        WaitStatus status = Assert.NotNull(exit.Status);
        Assert.True(status.Exited);
        Assert.Equal(3, status.ExitCode);
        Assert.Equal(3, status.ShellCode);
        Assert.Equal(17, exit.ExitSignal); // SIGCHLD to the parent
        Assert.Equal(Self, exit.ParentPid);
        Assert.True(exit.Timestamp > DateTimeOffset.UtcNow.AddMinutes(-1) && exit.Timestamp < DateTimeOffset.UtcNow.AddMinutes(1));

        // Kernel order: fork, then exec, then exit.
        List<ProcessEvent> own = events.Tree(pid).Where(e => e.Pid == pid).ToList();
        Assert.True(own.FindIndex(e => e is ForkEvent) < own.FindIndex(e => e is ExecEvent));
        Assert.True(own.FindIndex(e => e is ExecEvent) < own.FindIndex(e => e is ExitEvent));
        Assert.True(fork.KernelTimeNs <= exit.KernelTimeNs);
    }

    [KernelFact]
    public void KilledBySegv_CoredumpAndCoreFlag()
    {
        // core_pattern here is usually "core" (a file in the cwd): dump into a scratch directory.
        string dir = Directory.CreateTempSubdirectory("procwatch-core-").FullName;
        try
        {
            using var events = EventCollector.Start();
            (int pid, _) = Spawn.Run("/bin/sh", ["-c", "ulimit -c unlimited; kill -SEGV $$"], dir);

            CoredumpEvent core = events.WaitFor<CoredumpEvent>(pid, e => e.Pid == pid, "coredump");
            Assert.Equal(Self, core.ParentPid);

            ExitEvent exit = events.WaitFor<ExitEvent>(pid, e => e.Pid == pid, "exit");
            WaitStatus status = Assert.NotNull(exit.Status);
            Assert.False(status.Exited);
            Assert.Equal(11, status.Signal);
            Assert.Equal(139, status.ShellCode);
            string pattern = File.ReadAllText("/proc/sys/kernel/core_pattern").Trim();
            if (pattern.Length > 0) // an empty pattern writes nothing, so no core flag
                Assert.True(status.CoreDumped, $"core_pattern '{pattern}': the kernel did not report a core dump");
            Assert.True(events.Tree(pid).IndexOf(core) < events.Tree(pid).IndexOf(exit), "coredump comes before exit");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [KernelFact]
    public void Setsid_SidEvent()
    {
        using var events = EventCollector.Start();
        (int pid, int code) = Spawn.Run("setsid", ["true"]);
        Assert.Equal(0, code);
        SidEvent sid = events.WaitFor<SidEvent>(pid, _ => true, "sid");
        // setsid(1) forks first only when it leads a process group already; either way it is ours.
        Assert.Contains(events.Tree(pid), e => e.Pid == sid.Pid);
    }

    [KernelFact]
    public void Strace_PtraceAttach()
    {
        using var events = EventCollector.Start();
        (int pid, int code) = Spawn.Run("strace", ["-o", "/dev/null", "true"]);
        Assert.Equal(0, code);
        // strace (pid) first forks short-lived probe children, then the tracee, which execs true.
        ExecEvent tracee = events.WaitFor<ExecEvent>(pid, e => e.Pid != pid, "exec of the tracee");
        events.WaitFor<ForkEvent>(pid, e => e.Pid == tracee.Pid && e.ParentPid == pid, "fork of the tracee");
        PtraceEvent attach = events.WaitFor<PtraceEvent>(pid, e => e.Pid == tracee.Pid && e.IsAttach, "ptrace attach");
        Assert.Equal(pid, attach.TracerPid);
        Assert.Equal(pid, attach.TracerTid);
        List<ProcessEvent> tree = events.Tree(pid);
        Assert.True(tree.IndexOf(attach) < tree.IndexOf(tracee), "attached before the exec");
    }

    [KernelFact]
    public void Strace_AttachAndDetach_ByPid()
    {
        using var events = EventCollector.Start();
        using System.Diagnostics.Process sleeper = Spawn.Start("sleep", ["30"]);
        try
        {
            using System.Diagnostics.Process strace = Spawn.Start("strace", ["-o", "/dev/null", "-p", sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            PtraceEvent attach = events.WaitFor<PtraceEvent>(sleeper.Id, e => e.IsAttach, "ptrace attach");
            Assert.Equal(strace.Id, attach.TracerPid);
            // SIGINT makes strace detach (PTRACE_DETACH) and exit.
            NativeHelpers.Run("kill", $"-INT {strace.Id}");
            strace.WaitForExit(10_000);
            PtraceEvent detach = events.WaitFor<PtraceEvent>(sleeper.Id, e => !e.IsAttach, "ptrace detach");
            Assert.Equal(0, detach.TracerPid);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [KernelFact]
    public void Threads_CloneEventsAndThreadExits()
    {
        string program = NativeHelpers.Build("threads.c", "-pthread");
        using var events = EventCollector.Start();
        (int pid, int code) = Spawn.Run(program, ["5"]);
        Assert.Equal(0, code);

        List<ForkEvent> clones = events.WaitForCount<ForkEvent>(pid, e => e.Pid == pid && e.IsThread, 5, "clone events");
        Assert.All(clones, c =>
        {
            Assert.Equal(ProcessEventKind.Clone, c.Kind);
            Assert.NotEqual(pid, c.Tid);
        });
        Assert.Equal(5, clones.Select(c => c.Tid).Distinct().Count());

        List<ExitEvent> threadExits = events.WaitForCount<ExitEvent>(pid, e => e.Pid == pid && e.IsThread, 5, "thread exits");
        Assert.Equal(clones.Select(c => c.Tid).Order(), threadExits.Select(e => e.Tid).Order());
        Assert.All(threadExits, e => Assert.Equal(-1, e.ExitSignal)); // threads signal nobody: task->exit_signal is -1
        ExitEvent main = events.WaitFor<ExitEvent>(pid, e => e.Pid == pid && !e.IsThread, "process exit");
        Assert.Equal(0, main.Status?.ExitCode);
        // No fork event for a thread is counted as a process fork.
        Assert.DoesNotContain(events.Tree(pid), e => e is ForkEvent { IsThread: false } f && f.Pid == pid && f.Tid != pid);
    }

    [KernelFact]
    public void ProcSelfComm_CommEvent()
    {
        using var events = EventCollector.Start();
        (int pid, int code) = Spawn.Run("/bin/sh", ["-c", "printf newname > /proc/self/comm; sleep 0.1"]);
        Assert.Equal(0, code);
        CommEvent comm = events.WaitFor<CommEvent>(pid, e => e.Pid == pid, "comm");
        Assert.Equal("newname", comm.Comm);
        Assert.Equal(pid, comm.Tid);
    }

    [KernelFact]
    public void Setpriv_UidAndGidEvents()
    {
        using var events = EventCollector.Start();
        (int pid, int code) = Spawn.Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]);
        Assert.Equal(0, code);
        GidEvent gid = events.WaitFor<GidEvent>(pid, e => e.Pid == pid, "gid");
        Assert.Equal(65534u, gid.RealGid);
        Assert.Equal(65534u, gid.EffectiveGid);
        UidEvent uid = events.WaitFor<UidEvent>(pid, e => e.Pid == pid, "uid");
        Assert.Equal(65534u, uid.RealUid);
        Assert.Equal(65534u, uid.EffectiveUid);
        events.WaitFor<ExecEvent>(pid, e => e.Pid == pid, "exec of true");
    }

    [KernelFact]
    public void KindsFilter_OnlyAskedKindsArrive()
    {
        using var events = EventCollector.Start(ProcessEventKinds.Exit);
        (int pid, _) = Spawn.Run("/bin/sh", ["-c", "exit 4"]);
        ExitEvent exit = events.WaitFor<ExitEvent>(pid, e => e.Pid == pid, "exit");
        Assert.Equal(4, exit.Status?.ExitCode);
        Assert.All(events.Tree(pid), e => Assert.IsType<ExitEvent>(e));
    }
}
