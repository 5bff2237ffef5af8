using System.Runtime.InteropServices;
using ProcWatch.Events;
using ProcWatch.Kernel;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.ExecFailures;
using ProcWatch.Tests.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Kernel.ExecFailures;

/// <summary>The C# mirror of bpf/exec_failure.h against the C compiler's layout, and the record parser on byte fixtures.</summary>
public sealed class ExecFailureAbiTests
{
    [Fact]
    public void Mirror_MatchesTheCLayout()
    {
        string bpfDir = Path.Combine(Programs.RepoRoot, "bpf");
        string headerHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(bpfDir, "exec_failure.h"))))[..16];
        string layout = NativeHelpers.Build("exec_failure_layout.c", $"-I {bpfDir} -DEXECFAIL_H_SHA={headerHash}");
        Dictionary<string, long> c = NativeHelpers.Run(layout, "").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).ToDictionary(f => f[0], f => long.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(c["exec_failure_record"], Marshal.SizeOf<exec_failure_record>());
        Assert.Equal(exec_failure_record.Size, Marshal.SizeOf<exec_failure_record>());
        foreach ((string key, long value) in c.Where(p => p.Key.StartsWith("exec_failure_record.", StringComparison.Ordinal)))
            Assert.True(value == (long)Marshal.OffsetOf<exec_failure_record>(key.Split('.')[1]), key);
        Assert.Equal((long)exec_failure_record.EXECFAIL_RECORD_KIND, c["EXECFAIL_RECORD_KIND"]);
        Assert.Equal((long)exec_failure_record.EXECFAIL_SYSCALL_EXECVE, c["EXECFAIL_SYSCALL_EXECVE"]);
        Assert.Equal((long)exec_failure_record.EXECFAIL_SYSCALL_EXECVEAT, c["EXECFAIL_SYSCALL_EXECVEAT"]);
        foreach (exec_failure_flags flag in Enum.GetValues<exec_failure_flags>())
            Assert.Equal((long)flag, c[flag.ToString()]);
        Assert.Equal((long)exec_failure_counter.RECORDS, c["EXECFAIL_COUNTER_RECORDS"]);
        Assert.Equal((long)exec_failure_counter.RING_DROPS, c["EXECFAIL_COUNTER_RING_DROPS"]);
        Assert.Equal((long)exec_failure_counter.SCRATCH_MISSING, c["EXECFAIL_COUNTER_SCRATCH_MISSING"]);
    }

    private static unsafe byte[] Record(exec_failure_record h, byte[] filename, byte[] cwd, byte[] argv, string comm = "bash")
    {
        h.kind = exec_failure_record.EXECFAIL_RECORD_KIND;
        h.filename_len = (ushort)filename.Length;
        h.cwd_len = (ushort)cwd.Length;
        h.argv_len = (ushort)argv.Length;
        System.Text.Encoding.ASCII.GetBytes(comm).CopyTo(new Span<byte>(h.comm, 16));
        return [.. MemoryMarshal.AsBytes(new ReadOnlySpan<exec_failure_record>(in h)), .. filename, .. cwd, .. argv];
    }

    [Fact]
    public void Parser_BuildsTheAttempt_FieldByField_Losslessly()
    {
        byte[] argv = [.. "./x\0-a\0"u8, 0x1b, .. "[2J\0"u8, 0xff, 0x00]; // an escape sequence, invalid UTF-8
        byte[] sample = Record(new exec_failure_record
        {
            tgid = 4242, pid = 4243, ktime_ns = 1_000_000, ppid = 17, error = 13, syscall = exec_failure_record.EXECFAIL_SYSCALL_EXECVE,
            dirfd = exec_failure_record.AT_FDCWD, uid = 1000, euid = 0, gid = 100, egid = 0, argc = 4, cgroup_id = 77, start_boottime_ns = 5_000_000,
        }, "./x"u8.ToArray(), "dir\0work\0"u8.ToArray(), argv);

        ExecFailedEvent? e = ExecFailureRecordParser.TryParse(sample, KernelClock.Shared, AccountNames.Shared);
        Assert.NotNull(e);
        Assert.Equal(13, e.Errno);
        Assert.Equal("EACCES", e.ErrorName);
        Assert.Equal("execve", e.Syscall);
        Assert.Equal("./x", e.Filename);
        Assert.Null(e.DirectoryFd);
        Assert.Equal(4242, e.Pid);
        Assert.Equal(4243, e.Tid);
        Assert.Equal(1_000_000, e.KernelTimeNs);
        ProcessInfo p = e.Process!;
        Assert.Equal("/work/dir", p.WorkingDirectory);
        Assert.Equal("/work/dir/./x", p.Executable);
        Assert.Equal(4, p.Args!.Count);
        Assert.Equal(["./x", "-a", "\u001b[2J"], p.Args.Take(3));
        Assert.Equal([0xff], ProcWatch.Text.ProcText.Encode(p.Args[3]));
        Assert.Equal(4, p.ArgsCount);
        Assert.Equal(ArgvSource.Ebpf, p.ArgvSource);
        Assert.Equal(1000u, p.User!.Value.Id);
        Assert.Equal(0u, p.EffectiveUser!.Value.Id);
        Assert.Equal(100u, p.Group!.Value.Id);
        Assert.Equal(17, p.ParentPid);
        Assert.Equal(77ul, p.CgroupId);
        Assert.Equal(5_000_000ul, p.StartBootNs);
        Assert.Equal("bash", p.Name);

        Assert.Null(ExecFailureRecordParser.TryParse(sample.AsSpan(0, sample.Length - 1), KernelClock.Shared, AccountNames.Shared));
        Assert.Null(ExecFailureRecordParser.TryParse(sample.AsSpan(0, 50), KernelClock.Shared, AccountNames.Shared));
    }

    [Fact]
    public void Parser_Execveat_ADirectoryFdLeavesThePathUnresolved_AndUnreadableArgvIsNull()
    {
        byte[] sample = Record(new exec_failure_record
        {
            tgid = 1, pid = 1, error = 2, syscall = exec_failure_record.EXECFAIL_SYSCALL_EXECVEAT, dirfd = 3, at_flags = 0x1000, argc = -1,
            flags = exec_failure_flags.EXECFAIL_ARGV_UNREADABLE | exec_failure_flags.EXECFAIL_CWD_TRUNCATED,
        }, "name"u8.ToArray(), [], []);
        ExecFailedEvent e = ExecFailureRecordParser.TryParse(sample, KernelClock.Shared, AccountNames.Shared)!;
        Assert.Equal("execveat", e.Syscall);
        Assert.Equal(3, e.DirectoryFd);
        Assert.Equal(0x1000, e.Flags);
        Assert.Equal("name", e.Filename);
        Assert.Null(e.Process!.Executable);
        Assert.Null(e.Process.WorkingDirectory); // cut: not a made-up "/"
        Assert.Null(e.Process.Args);
        Assert.Null(e.Process.ArgsCount);
        Assert.Equal(ArgvSource.None, e.Process.ArgvSource);
        Assert.Equal("E999", ErrnoNames.Name(999));
    }

    [Fact]
    public void Parser_NeverThrows_OnRandomBytes()
    {
        var random = new Random(22);
        for (int i = 0; i < 2000; i++)
        {
            byte[] sample = new byte[random.Next(0, 400)];
            random.NextBytes(sample);
            if (sample.Length >= 4 && i % 2 == 0)
                BitConverter.TryWriteBytes(sample, exec_failure_record.EXECFAIL_RECORD_KIND);
            _ = ExecFailureRecordParser.TryParse(sample, KernelClock.Shared, AccountNames.Shared);
        }
    }
}
