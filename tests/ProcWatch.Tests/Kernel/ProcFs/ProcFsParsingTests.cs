using System.Text;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.ProcFs;
using Xunit;

namespace ProcWatch.Tests.Kernel.ProcFs;

public class ProcFsParsingTests
{
    [Fact]
    public void StatNameMayHoldSpacesAndParentheses()
    {
        byte[] content = Encoding.ASCII.GetBytes(
            "4242 (a) R 1 2 (x) S 100 4242 4242 34817 4242 4194560 1 0 0 0 0 0 0 0 20 0 3 0 987654 1 2 3\n");
        Assert.True(ProcStat.TryParse(content, out ProcStat stat));
        Assert.Equal(4242, stat.Pid);
        Assert.Equal("a) R 1 2 (x", stat.Comm);
        Assert.Equal('S', stat.State);
        Assert.Equal(100, stat.ParentPid);
        Assert.Equal(4242, stat.ProcessGroupId);
        Assert.Equal(4242, stat.SessionId);
        Assert.Equal(34817, stat.TtyNr);
        Assert.Equal(3, stat.NumThreads);
        Assert.Equal(987654UL, stat.StartTimeTicks);
        Assert.False(stat.IsKernelThread);
    }

    [Fact]
    public void StatFlagsMarkKernelThreads()
    {
        byte[] content = Encoding.ASCII.GetBytes("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 2 0 0\n");
        Assert.True(ProcStat.TryParse(content, out ProcStat stat));
        Assert.True(stat.IsKernelThread);
        Assert.Equal(2UL, stat.StartTimeTicks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12 (x")]
    [InlineData("12 (x) R 1 2 3")]
    public void TruncatedStatIsRejected(string text) =>
        Assert.False(ProcStat.TryParse(Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void StatusGivesRealAndEffectiveIds()
    {
        byte[] content = Encoding.ASCII.GetBytes("Name:\tsu\nUid:\t1000\t0\t0\t0\nGid:\t100\t50\t50\t50\nGroups:\t\n");
        Assert.True(ProcStatus.TryParse(content, out ProcStatus status));
        Assert.Equal(new ProcStatus(1000, 0, 100, 50), status);
    }

    [Fact]
    public void CmdlineKeepsEmptyArgumentsAndInvalidBytes()
    {
        byte[] content = [(byte)'a', 0, 0, (byte)'b', (byte)' ', (byte)'c', 0, 0xff, 0];
        string[] args = ProcCmdline.Split(content);
        Assert.Equal(["a", "", "b c", "\udcff"], args);
        Assert.Empty(ProcCmdline.Split([]));
        Assert.Equal(["x"], ProcCmdline.Split("x"u8)); // setproctitle may drop the final NUL
    }

    [Theory]
    [InlineData("0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("12:pids:/docker/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/cri-containerd-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.scope\n", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")]
    [InlineData("0::/kubepods/besteffort/pod0c7c1a48-0000/cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n", "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc")]
    [InlineData("0::/machine.slice/libpod-dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.scope/container\n", "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd")]
    [InlineData("0::/machine.slice/crio-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.scope\n", "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")]
    [InlineData("0::/machine.slice/libpod-conmon-ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff.scope\n", null)]
    [InlineData("0::/user.slice/user-1000.slice/session-3.scope\n", null)]
    public void CgroupPathAndContainerId(string content, string? expectedId)
    {
        Assert.True(ProcCgroup.TryParse(Encoding.ASCII.GetBytes(content), out string path));
        Assert.StartsWith("/", path);
        Assert.Equal(expectedId, ContainerId.FromCgroupPath(path));
    }

    [Fact]
    public void UnifiedCgroupLineWinsOverV1()
    {
        byte[] content = Encoding.ASCII.GetBytes("5:cpu:/a\n0::/b\n");
        Assert.True(ProcCgroup.TryParse(content, out string path));
        Assert.Equal("/b", path);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData((136 << 8) | 3, "pts/3")]
    [InlineData((137 << 8) | 1, "pts/257")]
    [InlineData((4 << 8) | 1, "tty1")]
    [InlineData((4 << 8) | 64, "ttyS0")]
    public void TtyNames(int ttyNr, string? expected) => Assert.Equal(expected, global::ProcWatch.Kernel.ProcFs.TtyNames.FromTtyNr(ttyNr));

    [Fact]
    public void PasswdLinesMapIdsToNames()
    {
        Dictionary<uint, string> names = AccountNames.Parse("root:x:0:0::/root:/bin/sh\n# comment\nbad\nalice:x:1000:1000::/home/a:/bin/sh\ntoor:x:0:0:::\n"u8);
        Assert.Equal("root", names[0]);
        Assert.Equal("alice", names[1000]);
        Assert.Equal(2, names.Count);
    }

    [Theory]
    [InlineData(1000UL, 1000UL, true, true)]
    [InlineData(1001UL, 1000UL, true, false)]
    [InlineData(1002UL, 1000UL, false, true)]
    [InlineData(998UL, 1000UL, false, true)]
    [InlineData(1500UL, 1000UL, false, false)]
    public void PidReuseGuardComparesStartTimes(ulong observed, ulong expected, bool exact, bool same) =>
        Assert.Equal(same, PidReuseGuard.IsSameProcess(observed, expected, exact));
}
