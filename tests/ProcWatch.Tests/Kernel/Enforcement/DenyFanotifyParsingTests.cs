using System.Text;
using ProcWatch.Kernel.Enforcement;
using Xunit;

namespace ProcWatch.Tests.Kernel.Enforcement;

/// <summary>What the fanotify gate reads about a waiting exec: /proc/TID/status and /proc/TID/syscall, from byte fixtures.</summary>
public sealed class DenyFanotifyParsingTests
{
    [Fact]
    public void Status_GivesTheProcessTheParentAndTheRealAndEffectiveIds()
    {
        byte[] status = Encoding.ASCII.GetBytes(
            "Name:\tworker\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\nPid:\t4250\nPPid:\t17\nTracerPid:\t0\n" +
            "Uid:\t1000\t0\t0\t0\nGid:\t100\t101\t101\t101\nFDSize:\t64\n");
        Assert.True(ExecCaller.TryParse(status, out ExecCaller caller));
        Assert.Equal(new ExecCaller(4242, 17, 1000, 0, 100, 101), caller);
    }

    [Theory]
    [InlineData("Name:\tx\nTgid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\n")] // no Gid line
    [InlineData("Name:\tx\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n")] // no Tgid
    [InlineData("Tgid:\tx\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n")]
    [InlineData("")]
    public void Status_Incomplete_IsRefused(string text) =>
        Assert.False(ExecCaller.TryParse(Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void Syscall_GivesTheNumberAndTheFirstArguments()
    {
        byte[] line = Encoding.ASCII.GetBytes("59 0x55d0c0a012a0 0x7ffc1b2e4f10 0x7ffc1b2e4f28 0x0 0x0 0x0 0x7ffc1b2e4e08 0x7f3c9b8e5d3b\n");
        Span<ulong> args = stackalloc ulong[4];
        Assert.True(PendingExecArguments.TryParseSyscall(line, out long nr, args));
        Assert.Equal(59, nr);
        Assert.Equal(0x55d0c0a012a0UL, args[0]);
        Assert.Equal(0x7ffc1b2e4f10UL, args[1]);
        Assert.Equal(0x7ffc1b2e4f28UL, args[2]);
        Assert.Equal(0UL, args[3]);
    }

    [Theory]
    [InlineData("running\n")]                 // the thread was on a CPU
    [InlineData("-1 0x7ffc1b2e4e08 0x7f3c9b8e5d3b\n")] // blocked, but not in a system call
    [InlineData("59 0x1 0x2\n")]              // cut short
    [InlineData("59 1 2 3 4\n")]              // not hexadecimal
    [InlineData("")]
    public void Syscall_AnythingElse_IsRefused(string text)
    {
        Span<ulong> args = stackalloc ulong[4];
        Assert.False(PendingExecArguments.TryParseSyscall(Encoding.ASCII.GetBytes(text), out _, args));
    }

    [Theory]
    [InlineData("7ffc1b2c5000-7ffc1b2e6000 rw-p 00000000 00:00 0                          [stack]", 0x7ffc1b2c5000UL, 0x7ffc1b2e6000UL, "0:0", true)]
    [InlineData("55d0c09ff000-55d0c0a01000 r--p 00000000 fd:01 1835043                    /usr/bin/true", 0x55d0c09ff000UL, 0x55d0c0a01000UL, "253:1", false)]
    [InlineData("7f3c9b800000-7f3c9b828000 r--p 00000000 00:2a 17 /mnt/fuse file (deleted)", 0x7f3c9b800000UL, 0x7f3c9b828000UL, "0:42", false)]
    public void Maps_GiveEachAreaItsRangeAndDevice(string line, ulong start, ulong end, string device, bool anonymous)
    {
        Assert.True(CallerMemory.TryParseArea(Encoding.ASCII.GetBytes(line), out ulong s, out ulong e, out string d, out bool a));
        Assert.Equal((start, end, device, anonymous), (s, e, d, a));
    }

    [Fact]
    public void Maps_APageOfAFileOutsideTheLocalFilesystems_IsNotRead()
    {
        var memory = new CallerMemory(["253:1"]);
        Assert.True(memory.Load(Environment.ProcessId)); // this process: its stack is anonymous, its program on a local device or not
        Assert.False(memory.IsSafe(0x10)); // unmapped
    }
}
