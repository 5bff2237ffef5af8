using ProcWatch.Tests.Helpers;
using System.Diagnostics;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.ProcFs;
using Xunit;

namespace ProcWatch.Tests.Kernel.ProcFs;

/// <summary>The readers against real processes: this test process and short-lived children.</summary>
public class ProcFsLiveTests
{
    [KernelFact]
    public void ReadsOwnProcess()
    {
        int pid = Environment.ProcessId;
        Assert.True(ProcStat.TryRead(pid, out ProcStat stat));
        Assert.Equal(pid, stat.Pid);
        Assert.True(stat.StartTimeTicks > 0);
        Assert.True(ProcStatus.TryRead(pid, out ProcStatus status));
        Assert.Equal(ProcWatch.Interop.Libc.GetEuid(), status.EffectiveUid);
        Assert.True(ProcCmdline.TryReadArgs(pid, out string[] args));
        Assert.NotEmpty(args);
        Assert.True(ProcLinks.TryReadExecutable(pid, out string exe, out bool deleted));
        Assert.StartsWith("/", exe);
        Assert.False(deleted);
        Assert.True(ProcLinks.TryReadWorkingDirectory(pid, out string cwd));
        Assert.Equal(Environment.CurrentDirectory, cwd);
        Assert.True(ProcCgroup.TryRead(pid, out _));
        Assert.True(ProcSmallFiles.TryReadComm(pid, out string comm));
        Assert.Equal(stat.Comm, comm);

        Assert.True(ProcessDirectory.TryOpen(pid, out ProcessDirectory dir));
        using (dir)
        {
            Assert.True(dir.TryReadStat(out ProcStat viaDir));
            Assert.Equal(stat.StartTimeTicks, viaDir.StartTimeTicks);
            Assert.True(dir.TryReadArgs(out string[] argsViaDir));
            Assert.Equal(args, argsViaDir);
        }
    }

    [KernelFact]
    public void StartTimeConvertsToNow()
    {
        Assert.True(ProcStat.TryRead(Environment.ProcessId, out ProcStat stat));
        DateTimeOffset start = SystemBoot.Shared.StartTicksToWallClock(stat.StartTimeTicks);
        Assert.InRange(start, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(36, SystemBoot.Shared.BootId.Length);
        Assert.True(SystemBoot.Shared.ClockTicksPerSecond > 0);
        long nowMono = global::ProcWatch.Kernel.KernelClock.MonotonicNs();
        ulong ticks = SystemBoot.Shared.MonotonicNsToStartTicks(nowMono);
        Assert.InRange(SystemBoot.Shared.StartTicksToMonotonicNs(ticks), nowMono - 20_000_000, nowMono + 1);
    }

    [KernelFact]
    public void DirectoryOfAReapedProcessReadsNothing()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        Assert.True(ProcessDirectory.TryOpen(child.Id, out ProcessDirectory dir));
        using (dir)
        {
            Assert.True(dir.TryReadStat(out _));
            child.Kill();
            child.WaitForExit();
            Assert.False(dir.TryReadStat(out _));
            Assert.False(dir.TryReadArgs(out _));
            Assert.False(dir.TryReadExecutable(out _, out _));
        }
    }

    [KernelFact]
    public void VanishedPidReadsFalse()
    {
        Assert.False(ProcStat.TryRead(int.MaxValue, out _));
        Assert.False(ProcCmdline.TryReadArgs(int.MaxValue, out _));
        Assert.False(ProcLinks.TryReadExecutable(int.MaxValue, out _, out _));
        Assert.False(ProcessDirectory.TryOpen(int.MaxValue, out _));
    }

    [KernelFact]
    public void RootIsNamed() => Assert.Equal("root", AccountNames.Shared.UserName(0));
}
