using System.Runtime.InteropServices;
using ProcWatch.Kernel.Connector;

namespace ProcWatch.Kernel.Enforcement;

// Mirrors of bpf/deny.h (host byte order); DenyAbiTests checks the sizes against the C header.

/// <summary>DENY_* limits of bpf/deny.h.</summary>
internal static class DenyLimits
{
    internal const int RULES_MAX = 1024;
    internal const int FILES_MAX = 16384;
    internal const int DIRS_MAX = 2048;
    internal const int REFS_MAX = 4;
    internal const int PROTECTED_MAX = 256;
    internal const uint DEV_SPECIAL = 0;
    internal const ulong INO_FILELESS = 0;
    internal const ulong INO_ANY = 1;
}

[Flags]
internal enum deny_rule_flags : uint
{
    DENY_RULE_AUDIT = 1u << 0,
    DENY_RULE_UID = 1u << 1,
    DENY_RULE_CGROUP = 1u << 2,
    DENY_RULE_PARENT = 1u << 3,
}

[Flags]
internal enum deny_gen_flags : uint
{
    DENY_GEN_FILES = 1u << 0,
    DENY_GEN_DIRS = 1u << 1,
    DENY_GEN_FILELESS = 1u << 2,
    DENY_GEN_ANY = 1u << 3,
    DENY_GEN_PARENT = 1u << 4,
}

[Flags]
internal enum deny_record_flags : uint
{
    DENY_RECORD_AUDIT = 1u << 0,
    DENY_RECORD_SIGNAL = 1u << 1,
    DENY_RECORD_LSM = 1u << 2,
    DENY_RECORD_ARGV_UNKNOWN = 1u << 3,
    DENY_RECORD_ARGV_TRUNCATED = 1u << 4,
    DENY_RECORD_EXE_TRUNCATED = 1u << 5,
    DENY_RECORD_EXE_DELETED = 1u << 6,
    DENY_RECORD_EXE_ANONYMOUS = 1u << 7,
    DENY_RECORD_CWD_TRUNCATED = 1u << 8,
    DENY_RECORD_CWD_DELETED = 1u << 9,
    DENY_RECORD_SIGNAL_FAILED = 1u << 10,
}

internal enum deny_counter : uint
{
    DENIED = 0,
    AUDITED = 1,
    RING_DROPS = 2,
    SCRATCH_MISSING = 3,
}

[StructLayout(LayoutKind.Sequential)]
internal struct deny_key
{
    public uint generation;
    public uint dev;
    public ulong ino;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct deny_refs
{
    public uint count;
    public fixed uint rule[DenyLimits.REFS_MAX];
}

[StructLayout(LayoutKind.Sequential)]
internal struct deny_rule
{
    public deny_rule_flags flags;
    public uint uid;
    public ulong cgroup_id;
    public ulong parent_ino;
    public uint parent_dev;
    public uint reserved0;
}

[StructLayout(LayoutKind.Sequential)]
internal struct deny_gen
{
    public deny_gen_flags flags;
    public uint rule_count;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct deny_record_header
{
    internal const int Size = 120;
    internal const uint DENY_RECORD_KIND = 1;

    public uint kind;
    public uint tgid;
    public ulong ktime_ns;
    public uint pid;
    public uint rule;
    public uint generation;
    public deny_record_flags flags;
    public uint ppid;
    public uint uid;
    public uint euid;
    public uint gid;
    public uint egid;
    public uint exe_dev;
    public ulong exe_ino;
    public uint exe_nlink;
    public uint exe_mode;
    public ulong cgroup_id;
    public ulong start_boottime_ns;
    public ushort filename_len;
    public ushort exe_len;
    public ushort cwd_len;
    public ushort argv_len;
    public int argc;
    public uint reserved0;
    public fixed byte comm[CnProc.TASK_COMM_LEN];
}
