using System.Runtime.InteropServices;
using ProcWatch.Kernel.Connector;

namespace ProcWatch.Kernel.ExecFailures;

// Mirrors of bpf/exec_failure.h (host byte order); ExecFailureAbiTests checks them against the C header.

[Flags]
internal enum exec_failure_flags : uint
{
    EXECFAIL_FILENAME_UNREADABLE = 1u << 0,
    EXECFAIL_ARGV_UNREADABLE = 1u << 1,
    EXECFAIL_ARGV_TRUNCATED = 1u << 2,
    EXECFAIL_CWD_TRUNCATED = 1u << 3,
    EXECFAIL_CWD_DELETED = 1u << 4,
    EXECFAIL_CWD_ANONYMOUS = 1u << 5,
    EXECFAIL_CWD_MISSING = 1u << 6,
}

internal enum exec_failure_counter : uint
{
    RECORDS = 0,
    RING_DROPS = 1,
    SCRATCH_MISSING = 2,
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct exec_failure_record
{
    internal const int Size = 104;
    internal const uint EXECFAIL_RECORD_KIND = 1;
    internal const uint EXECFAIL_SYSCALL_EXECVE = 0;
    internal const uint EXECFAIL_SYSCALL_EXECVEAT = 1;
    internal const int AT_FDCWD = -100;

    public uint kind;
    public uint tgid;
    public ulong ktime_ns;
    public uint pid;
    public uint ppid;
    public int error;
    public uint syscall;
    public int dirfd;
    public uint at_flags;
    public uint uid;
    public uint euid;
    public uint gid;
    public uint egid;
    public exec_failure_flags flags;
    public int argc;
    public ulong cgroup_id;
    public ulong start_boottime_ns;
    public ushort filename_len;
    public ushort cwd_len;
    public ushort argv_len;
    public ushort reserved0;
    public fixed byte comm[CnProc.TASK_COMM_LEN];
}
