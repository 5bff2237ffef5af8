using System.Text;
using ProcWatch.Kernel.ProcFs;
using Xunit;

namespace ProcWatch.Tests.Kernel.ProcFs;

public class CleanFileMappingsTests
{
    /// <summary>A /proc/PID/smaps excerpt (fields trimmed to those read, and a few others), one mapping of each kind.</summary>
    private const string Smaps = """
        555555554000-555555568000 r--p 00000000 08:01 1234                       /usr/bin/procwatch
        Size:                 80 kB
        Rss:                  80 kB
        Pss:                  80 kB
        Anonymous:             0 kB
        VmFlags: rd mr mw me dw sd
        555555568000-555555b70000 r-xp 00014000 08:01 1234                       /usr/bin/procwatch
        Size:               6176 kB
        Rss:                4256 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me dw sd
        5555560fd000-5555560ff000 r--p 00ba8000 08:01 1234                       /usr/bin/procwatch
        Size:                  8 kB
        Rss:                   8 kB
        Anonymous:             8 kB
        VmFlags: rd mr mw me dw ac sd
        5555560ff000-555556121000 rw-p 00baa000 08:01 1234                       /usr/bin/procwatch
        Size:                136 kB
        Rss:                 136 kB
        Anonymous:            64 kB
        VmFlags: rd wr mr mw me dw ac sd
        555556121000-5555563a7000 rw-p 00000000 00:00 0 
        Size:               2584 kB
        Rss:                2488 kB
        Anonymous:          2488 kB
        VmFlags: rd wr mr mw me ac sd
        7ffff7cd5000-7ffff7cfb000 r--p 00000000 08:01 99                         /usr/lib/x86_64-linux-gnu/libc.so.6
        Size:                152 kB
        Rss:                   0 kB
        Anonymous:             0 kB
        VmFlags: rd mr mw me sd
        7ffff7cfb000-7ffff7e51000 r-xp 00026000 08:01 99                         /usr/lib/x86_64-linux-gnu/libc.so.6
        Size:               1368 kB
        Rss:                1300 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me sd
        7ffff7ffa000-7ffff7ffe000 r--p 00000000 00:00 0                          [vvar]
        Size:                 16 kB
        Rss:                   4 kB
        Anonymous:             0 kB
        VmFlags: rd mr pf io de dd sd
        7ffff6000000-7ffff6001000 r--s 00000000 00:0f 1081                       anon_inode:bpf-ringbuf
        Size:                  4 kB
        Rss:                   4 kB
        Anonymous:             0 kB
        7ffff6100000-7ffff6104000 r--s 00000000 08:01 77                         /etc/shared.db
        Size:                 16 kB
        Rss:                  16 kB
        Anonymous:             0 kB
        7ffff6200000-7ffff6201000 r--p 00000000 08:01 78                         /tmp/a file with spaces (deleted)
        Size:                  4 kB
        Rss:                   4 kB
        Anonymous:             0 kB

        """;

    private static List<(ulong Start, ulong End, long Kb)> Scan(string text, string onlyPath = "")
    {
        var found = new List<(ulong, ulong, long)>();
        byte[] only = Encoding.UTF8.GetBytes(onlyPath);
        var parser = new CleanFileMappings(only);
        foreach (string line in text.Split('\n'))
        {
            if (parser.Line(Encoding.UTF8.GetBytes(line), out ulong start, out ulong end, out long kb))
                found.Add((start, end, kb));
        }
        return found;
    }

    [Fact]
    public void OnlyPrivateReadOnlyFileMappingsWithResidentPagesAndNoPrivateCopyAreChosen()
    {
        Assert.Equal(
        [
            (0x555555554000UL, 0x555555568000UL, 80L),  // the executable's headers
            (0x555555568000UL, 0x555555b70000UL, 4256L), // its code
            (0x7ffff7cfb000UL, 0x7ffff7e51000UL, 1300L), // libc's code
            (0x7ffff6200000UL, 0x7ffff6201000UL, 4L),    // a deleted file is still a file
        ], Scan(Smaps));
        // Not chosen: the relocated RELRO (read-only, but private copies), data and bss (writable),
        // nothing resident (libc's headers), [vvar], shared mappings (the BPF ring, a shared file).
    }

    [Fact]
    public void AGivenPathNarrowsTheChoiceToThatFile()
    {
        Assert.Equal([(0x7ffff7cfb000UL, 0x7ffff7e51000UL, 1300L)], Scan(Smaps, "/usr/lib/x86_64-linux-gnu/libc.so.6"));
        Assert.Empty(Scan(Smaps, "/usr/lib/x86_64-linux-gnu/libc.so"));
    }

    [Theory]
    [InlineData("zz-555555568000 r-xp 00014000 08:01 1234 /x\nRss: 4 kB\nAnonymous: 0 kB")]     // not hexadecimal
    [InlineData("555555568000-555555560000 r-xp 00014000 08:01 1234 /x\nRss: 4 kB\nAnonymous: 0 kB")] // end before start
    [InlineData("555555568000-555555570000 r-xp 00014000 08:01 1234 /x\nRss: 4 kB\nAnonymous: x kB")] // unreadable count
    [InlineData("555555568000-555555570000 r-xp 00014000 08:01 1234 /x\nAnonymous: 0 kB")]           // no Rss line
    [InlineData("Rss: 4 kB\nAnonymous: 0 kB\n\n \n:")]                                                  // fields with no header
    public void MalformedOrIncompleteRecordsChooseNothing(string text) => Assert.Empty(Scan(text));
}
