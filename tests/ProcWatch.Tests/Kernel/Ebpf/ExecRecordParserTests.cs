using Xunit;
using System.Runtime.InteropServices;
using System.Text;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;

namespace ProcWatch.Tests.Kernel.Ebpf;

public sealed class ExecRecordParserTests
{
    [Fact]
    public void Header_MatchesTheCLayout()
    {
        string bpfDir = Path.Combine(Programs.RepoRoot, "bpf");
        // The header's hash in the arguments: NativeHelpers rebuilds when the header changes, not only the .c.
        string headerHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(bpfDir, "exec_capture.h"))))[..16];
        string layout = NativeHelpers.Build("exec_record_layout.c", $"-I {bpfDir} -DEXEC_CAPTURE_H_SHA={headerHash}");
        var psi = new System.Diagnostics.ProcessStartInfo(layout) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var c = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).ToDictionary(f => f[0], f => int.Parse(f[1]));
        p.WaitForExit();

        Assert.Equal(exec_record_header.Size, c["sizeof"]);
        Assert.Equal(c["sizeof"], Marshal.SizeOf<exec_record_header>());
        foreach (string field in new[] { "kind", "tgid", "ktime_ns", "old_pid", "ppid", "uid", "gid", "flags", "argv_len", "argv_full_len", "argv_chunks", "argc",
            "filename_len", "exe_len", "cwd_len", "comm", "loginuid", "euid", "egid", "sid", "pgid", "tty_nr", "cgroup_id", "start_boottime_ns", "exe_ino", "exe_dev", "exe_mode", "exe_uid", "exe_nlink", "exe_size", "exe_mtime_ns", "exe_ctime_ns", "ancestors" })
        {
            Assert.True(c[field] == (int)Marshal.OffsetOf<exec_record_header>(field), field);
        }
        Assert.Equal(16, Marshal.SizeOf<record_prefix>());
        Assert.Equal(Marshal.SizeOf<argv_chunk_header>(), c["argv_chunk_header"]);
        Assert.Equal(Marshal.SizeOf<fork_record>(), c["fork_record"]);
        Assert.Equal(Marshal.SizeOf<exit_record>(), c["exit_record"]);
        Assert.Equal((int)Marshal.OffsetOf<exit_record>("maxrss_pages"), c["exit_record.maxrss_pages"]);
        Assert.Equal((int)Marshal.OffsetOf<fork_record>("start_boottime_ns"), c["fork_record.start_boottime_ns"]);
        Assert.Equal((int)Marshal.OffsetOf<fork_record>("creator_tgid"), c["fork_record.creator_tgid"]);
        Assert.Equal((int)Marshal.OffsetOf<fork_record>("ids"), c["fork_record.ids"]);
        Assert.Equal((int)Marshal.OffsetOf<exit_record>("ids"), c["exit_record.ids"]);
        Assert.Equal(Marshal.SizeOf<task_ids>(), c["task_ids"]);
        Assert.Equal((int)Marshal.OffsetOf<task_ids>("egid"), c["task_ids.egid"]);
        Assert.Equal(exec_record_header.ARGV_CAP, c["EXEC_ARGV_CAP"]);
    }

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("a\0", new[] { "a" })]
    [InlineData("a\0\0b\0", new[] { "a", "", "b" })]
    [InlineData("cut\0part", new[] { "cut", "part" })]
    [InlineData("\0", new[] { "" })]
    public void SplitArgv_SplitsAtNul(string bytes, string[] expected)
    {
        Assert.Equal(expected, ExecRecordParser.SplitArgv(Encoding.Latin1.GetBytes(bytes)).ToArray());
    }

    [Fact]
    public void TryParse_ReadsHeaderFilenameAndArgv()
    {
        byte[] filename = "/usr/bin/env"u8.ToArray();
        byte[] argv = "env\0-i\0"u8.ToArray();
        byte[] sample = new byte[exec_record_header.Size + filename.Length + argv.Length];
        var header = new exec_record_header
        {
            ktime_ns = 123456789,
            tgid = 10,
            old_pid = 11,
            ppid = 1,
            uid = 1000,
            gid = 100,
            flags = exec_record_flags.ARGV_TRUNCATED,
            argv_len = (uint)argv.Length,
            argv_full_len = 70000,
            filename_len = (ushort)filename.Length,
            loginuid = 1000,
            euid = 0,
            egid = 42,
            cgroup_id = 0x1234,
        };
        unsafe
        {
            "env"u8.CopyTo(new Span<byte>(header.comm, ProcWatch.Kernel.Connector.CnProc.TASK_COMM_LEN));
        }
        MemoryMarshal.Write(sample, in header);
        filename.CopyTo(sample, exec_record_header.Size);
        argv.CopyTo(sample, exec_record_header.Size + filename.Length);

        Assert.True(ExecRecordParser.TryParse(sample, out ExecRecord? r));
        Assert.Equal(10, r.Tgid);
        Assert.Equal(11, r.OldPid);
        Assert.Equal(1, r.ParentTgid);
        Assert.Equal(1000u, r.Uid);
        Assert.Equal(100u, r.Gid);
        Assert.Equal(123456789UL, r.KernelTimeNs);
        Assert.Equal("/usr/bin/env", r.Filename);
        Assert.Equal("env", r.Comm);
        Assert.Equal(["env", "-i"], r.Argv.ToArray());
        Assert.True(r.ArgvTruncated);
        Assert.Equal(70000, r.ArgvFullLength);
        Assert.Equal(new ExecIdentity(0, 42, 1000, 0x1234) { Known = true }, r.Identity);

        header.loginuid = uint.MaxValue; // unset: no login session
        MemoryMarshal.Write(sample, in header);
        Assert.True(ExecRecordParser.TryParse(sample, out r));
        Assert.Null(r.Identity.LoginUid);

        Assert.False(ExecRecordParser.TryParse(sample.AsSpan(0, sample.Length - 1), out _));
        Assert.False(ExecRecordParser.TryParse(sample.AsSpan(0, 10), out _));
    }
}
