using System.Text;
using ProcWatch.Kernel;
using ProcWatch.Kernel.ProcScan;
using Xunit;

namespace ProcWatch.Tests.Kernel.ProcScan;

/// <summary>The byte-level parts of the procfs backend, on fixtures.</summary>
public class ProcScanUnitTests
{
    [Theory]
    [InlineData("1\0", true, 1)]
    [InlineData("4194304\0", true, 4194304)]
    [InlineData("self\0", false, 0)]
    [InlineData("12a\0", false, 0)]
    [InlineData("\0", false, 0)]
    [InlineData("0\0", false, 0)]
    [InlineData("99999999999\0", false, 0)]
    public void PidNames(string name, bool ok, int pid)
    {
        Assert.Equal(ok, ProcDirectory_TryParsePid(name, out int parsed));
        if (ok)
            Assert.Equal(pid, parsed);
    }

    private static bool ProcDirectory_TryParsePid(string name, out int pid) =>
        ProcDirectory.TryParsePid(Encoding.ASCII.GetBytes(name), out pid);

    [Fact]
    public void DirentRecordsKeepOnlyNumericDirectories()
    {
        byte[] buffer = new byte[256];
        int offset = 0;
        offset = Dirent(buffer, offset, "1", 4);
        offset = Dirent(buffer, offset, "self", 10); // a symlink
        offset = Dirent(buffer, offset, "sys", 4);
        offset = Dirent(buffer, offset, "4242", 4);
        offset = Dirent(buffer, offset, "77", 8); // a regular file named like a pid: not a process
        using ProcDirectory proc = ProcDirectory.Open();
        int count = proc.ParseEntries(buffer.AsSpan(0, offset), 0);
        Assert.Equal(2, count);
        // A truncated record is not read past.
        Assert.Equal(0, proc.ParseEntries(buffer.AsSpan(0, 10), 0));
    }

    /// <summary>Writes one linux_dirent64 (8-byte aligned) and returns the next offset.</summary>
    private static int Dirent(byte[] buffer, int offset, string name, byte type)
    {
        int length = (19 + name.Length + 1 + 7) & ~7;
        BitConverter.TryWriteBytes(buffer.AsSpan(offset + 16), (ushort)length);
        buffer[offset + 18] = type;
        Encoding.ASCII.GetBytes(name, buffer.AsSpan(offset + 19));
        buffer[offset + 19 + name.Length] = 0;
        return offset + length;
    }

    [Fact]
    public void InotifyEventsAreCounted()
    {
        byte[] events = new byte[16 + 16 + 16];
        BitConverter.TryWriteBytes(events.AsSpan(12), 16u); // first event carries a 16-byte name
        Assert.Equal(2, ExecWaker.CountEvents(events));
        Assert.Equal(0, ExecWaker.CountEvents(events.AsSpan(0, 8)));
    }

    [Theory]
    [InlineData("22 27 0:21 / /proc rw,relatime shared:13 - proc proc rw\n", null)]
    [InlineData("22 27 0:21 / /proc rw,relatime shared:13 - proc proc rw,hidepid=2\n", HidePid.Invisible)]
    [InlineData("22 27 0:21 / /proc rw - proc proc rw,hidepid=invisible,gid=4\n", HidePid.Invisible)]
    [InlineData("22 27 0:21 / /proc rw - proc proc rw,hidepid=1\n", HidePid.NoAccess)]
    [InlineData("22 27 0:21 / /proc rw - proc proc rw,hidepid=ptraceable\n", HidePid.Ptraceable)]
    [InlineData("22 27 0:21 / /proc rw - proc proc rw,hidepid=0\n", null)]
    // The later mount on /proc hides the earlier one.
    [InlineData("22 27 0:21 / /proc rw - proc proc rw,hidepid=2\n40 22 0:30 / /proc rw - proc proc rw\n", null)]
    [InlineData("22 27 0:21 / /proc rw - proc proc rw\n40 22 0:30 / /proc rw - proc proc rw,hidepid=2\n", HidePid.Invisible)]
    // Not /proc itself.
    [InlineData("23 22 0:22 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw,hidepid=2\n", null)]
    public void HidePidFromMountInfo(string mountInfo, object? expected) // object: HidePid is internal, a public test method cannot name it
    {
        HidePidSetting? setting = ProcMounts.ParseHidePid(mountInfo);
        Assert.Equal((HidePid?)expected, setting?.Mode);
        if (setting is { } s)
            Assert.DoesNotContain('\n', s.Describe());
    }

    [Theory]
    [InlineData("pid:[4026531836]", true, 4026531836UL)]
    [InlineData("user:[4026532201]", true, 4026532201UL)]
    [InlineData("pid:[]", false, 0UL)]
    [InlineData("garbage", false, 0UL)]
    public void NamespaceInodes(string link, bool ok, ulong inode)
    {
        Assert.Equal(ok, Namespaces.TryParseInode(link, out ulong parsed));
        Assert.Equal(inode, parsed);
    }

    [Theory]
    [InlineData("0.52 0.58 0.59 2/468 123456\n", true, 123456)]
    [InlineData("0.00 0.00 0.00 1/1 1", true, 1)]
    [InlineData("0.52 0.58 0.59 2/468 12x\n", false, 0)]
    [InlineData("", false, 0)]
    public void LastPidFromLoadavg(string content, bool ok, int pid)
    {
        Assert.Equal(ok, LastPid.TryParse(Encoding.ASCII.GetBytes(content), out int parsed));
        if (ok)
            Assert.Equal(pid, parsed);
    }

    [Fact]
    public void LastPidSeesNewPidsAndTellsThreadsFromProcesses()
    {
        Assert.True(LastPid.ProcMatchesOurNamespace());
        Assert.True(LastPid.TryRead(out int before));
        using (var child = System.Diagnostics.Process.Start("/bin/true"))
            child.WaitForExit();
        Assert.True(LastPid.TryRead(out int after));
        Assert.NotEqual(before, after);

        Assert.True(LastPid.IsProcess(Environment.ProcessId));
        int thread = Directory.GetDirectories($"/proc/{Environment.ProcessId}/task")
            .Select(d => int.Parse(Path.GetFileName(d)))
            .First(tid => tid != Environment.ProcessId);
        Assert.False(LastPid.IsProcess(thread));
    }
}
