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
}
