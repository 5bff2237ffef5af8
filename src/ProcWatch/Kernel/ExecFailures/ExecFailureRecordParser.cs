using System.Runtime.InteropServices;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.Connector;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Text;

namespace ProcWatch.Kernel.ExecFailures;

/// <summary>Turns one exec_failure.bpf.c record into an <see cref="ExecFailedEvent"/>; null when it is malformed.</summary>
internal static class ExecFailureRecordParser
{
    internal static unsafe ExecFailedEvent? TryParse(ReadOnlySpan<byte> sample, KernelClock clock, AccountNames accounts)
    {
        if (!MemoryMarshal.TryRead(sample, out exec_failure_record h) || h.kind != exec_failure_record.EXECFAIL_RECORD_KIND)
            return null;
        var tail = new RecordTail(sample[exec_failure_record.Size..]);
        ReadOnlySpan<byte> filenameBytes = tail.Take(h.filename_len);
        ReadOnlySpan<byte> cwdBytes = tail.Take(h.cwd_len);
        ReadOnlySpan<byte> argv = tail.Take(h.argv_len);
        if (tail.Overrun)
            return null;
        exec_failure_flags flags = h.flags;
        bool filenameKnown = (flags & exec_failure_flags.EXECFAIL_FILENAME_UNREADABLE) == 0;
        bool argvKnown = (flags & exec_failure_flags.EXECFAIL_ARGV_UNREADABLE) == 0;
        bool cwdKnown = (flags & (exec_failure_flags.EXECFAIL_CWD_MISSING | exec_failure_flags.EXECFAIL_CWD_TRUNCATED)) == 0;
        string? filename = filenameKnown ? ProcText.Decode(filenameBytes) : null;
        string? cwd = cwdKnown ? ExecRecordParser.JoinPath(cwdBytes) : null;
        bool atCwd = h.dirfd == exec_failure_record.AT_FDCWD;
        IReadOnlyList<string>? args = argvKnown ? ExecRecordParser.SplitArgv(argv) : null;
        var process = new ProcessInfo
        {
            Pid = (int)h.tgid,
            ParentPid = (int)h.ppid,
            Name = ProcText.DecodeCString(MemoryMarshal.CreateReadOnlySpan(ref h.comm[0], CnProc.TASK_COMM_LEN)),
            Executable = TriedPath(filename, atCwd ? cwd : null),
            ExecutableSource = ExecutableSource.Ebpf,
            Args = args,
            ArgsTruncated = (flags & exec_failure_flags.EXECFAIL_ARGV_TRUNCATED) != 0,
            ArgsCount = h.argc >= 0 ? h.argc : null,
            ArgvSource = args is null ? ArgvSource.None : ArgvSource.Ebpf,
            WorkingDirectory = cwd,
            User = new IdName(h.uid, accounts.UserName(h.uid)),
            EffectiveUser = new IdName(h.euid, accounts.UserName(h.euid)),
            Group = new IdName(h.gid, accounts.GroupName(h.gid)),
            EffectiveGroup = new IdName(h.egid, accounts.GroupName(h.egid)),
            CgroupId = h.cgroup_id,
            StartBootNs = h.start_boottime_ns,
        };
        return new ExecFailedEvent
        {
            KernelTimeNs = (long)h.ktime_ns,
            Timestamp = clock.ToWallClock((long)h.ktime_ns),
            Pid = (int)h.tgid,
            Tid = (int)h.pid,
            Origin = EventOrigin.Ebpf,
            Process = process,
            Errno = h.error,
            Syscall = h.syscall == exec_failure_record.EXECFAIL_SYSCALL_EXECVEAT ? "execveat" : "execve",
            Filename = filename,
            DirectoryFd = atCwd ? null : h.dirfd,
            Flags = (int)h.at_flags,
        };
    }

    /// <summary>
    /// The path the kernel looked up, as text: an absolute filename as it is, a relative one
    /// joined to the cwd (lexically: "..", "." and links stay, as the kernel would walk
    /// them). Null when it cannot be said (no filename, relative to another directory fd).
    /// </summary>
    internal static string? TriedPath(string? filename, string? cwd)
    {
        if (string.IsNullOrEmpty(filename))
            return null;
        if (filename[0] == '/')
            return filename;
        if (cwd is null)
            return null;
        return cwd.EndsWith('/') ? cwd + filename : cwd + "/" + filename;
    }
}
