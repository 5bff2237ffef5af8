using System.Runtime.InteropServices;
using ProcWatch.Kernel.Connector;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Mirror of <c>struct exec_record_header</c> in bpf/exec_capture.h (host byte order; the
/// leading <c>struct record_prefix</c> is flattened into <see cref="kind"/>, <see cref="tgid"/>
/// and <see cref="ktime_ns"/>). A record is this header, then <see cref="filename_len"/> bytes
/// of path, <see cref="exe_len"/> and <see cref="cwd_len"/> bytes of walked paths, then
/// <see cref="argv_len"/> bytes of NUL-separated argv.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct exec_record_header
{
    internal const int Size = 200;

    /// <summary>EXEC_ANCESTORS_MAX: parent tgids the record carries.</summary>
    internal const int ANCESTORS_MAX = 8;

    /// <summary>EXEC_ARGV_CAP: argv bytes per ring record.</summary>
    internal const int ARGV_CAP = 65536;
    /// <summary>EXEC_ARGV_CHUNKS_MAX: ring records of argv per exec, at most.</summary>
    internal const int ARGV_CHUNKS_MAX = 16;

    public record_kind kind;
    public uint tgid;
    public ulong ktime_ns;
    public uint old_pid;
    public uint ppid;
    public uint uid;
    public uint gid;
    public exec_record_flags flags;
    public uint argv_len;
    public uint argv_full_len;
    public uint argv_chunks;
    public int argc;
    public ushort filename_len;
    public ushort exe_len;
    public ushort cwd_len;
    public ushort reserved0;
    /// <summary>EXEC_COMM_LEN: the kernel's TASK_COMM_LEN.</summary>
    public fixed byte comm[CnProc.TASK_COMM_LEN];
    public uint loginuid;
    public uint euid;
    public uint egid;
    public uint sid;
    public uint pgid;
    public uint tty_nr;
    public uint reserved1;
    public ulong cgroup_id;
    public ulong start_boottime_ns;
    public ulong exe_ino;
    public uint exe_dev;
    public uint exe_mode;
    public uint exe_uid;
    public uint exe_nlink;
    public ulong exe_size;
    public ulong exe_mtime_ns;
    public ulong exe_ctime_ns;
    public fixed uint ancestors[ANCESTORS_MAX];
}

/// <summary>Mirror of <c>struct record_prefix</c>, which every ring-buffer record starts with.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct record_prefix
{
    public record_kind kind;
    public uint tgid;
    public ulong ktime_ns;
}

/// <summary>Mirror of <c>struct argv_chunk_header</c>: argv bytes [offset, offset+len) of the exec (the prefix's tgid, ktime_ns).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct argv_chunk_header
{
    public record_prefix prefix;
    public uint offset;
    public uint len;
}

/// <summary>Mirror of <c>struct task_ids</c>: real and effective uid and gid.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct task_ids
{
    public uint uid;
    public uint euid;
    public uint gid;
    public uint egid;
}

/// <summary>Mirror of <c>struct fork_record</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct fork_record
{
    public record_prefix prefix;
    public uint parent_tgid;
    public uint creator_tgid;
    public ulong start_boottime_ns;
    public task_ids ids;
}

/// <summary>Mirror of <c>struct exit_record</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct exit_record
{
    public record_prefix prefix;
    public uint exit_code;
    public uint reserved0;
    public ulong start_boottime_ns;
    public ulong utime_ns;
    public ulong stime_ns;
    public ulong maxrss_pages;
    public task_ids ids;
}

/// <summary>
/// Mirror of <c>struct capture_settings</c> in bpf/exec_capture.h: the program's const volatile
/// settings (section .rodata.settings), written into the object before load.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct capture_settings
{
    internal const int Size = 24;

    public ulong wakeup_interval_ns;
    public ulong wakeup_bytes;
    public capture_filters filters;
    public uint reserved0;
}

/// <summary>CAPTURE_FILTER_* / CAPTURE_MARK_FILTERED: the bits of <see cref="capture_settings.filters"/>.</summary>
[Flags]
internal enum capture_filters : uint
{
    TREE = 1u << 1,
    MARK_FILTERED = 1u << 2,
}

/// <summary>Mirror of <c>struct filtered_record</c>: an exec the kernel filter left out (RECORD_FILTERED).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct filtered_record
{
    public record_prefix prefix;
    public record_kind filtered_kind;
    public uint reserved0;
}

/// <summary>TREE_MEMBER / TREE_ROOT: the values of the watched_tgids map.</summary>
internal enum tree_entry : byte
{
    TREE_MEMBER = 1,
    TREE_ROOT = 2,
}

/// <summary>
/// The EXEC_RECORD_* bits of <see cref="exec_record_header.flags"/> that the reader interprets
/// (exec_capture.h also has FILENAME_TRUNCATED, ARGV_UNREADABLE, CWD_DELETED, ARGV_CHUNK_LOST).
/// </summary>
[Flags]
internal enum exec_record_flags : uint
{
    ARGV_TRUNCATED = 1u << 0,
    NO_LOGINUID = 1u << 3,
    NO_ARGC = 1u << 4,
    EXE_MISSING = 1u << 5,
    EXE_TRUNCATED = 1u << 6,
    EXE_DELETED = 1u << 7,
    EXE_ANONYMOUS = 1u << 8,
    CWD_MISSING = 1u << 9,
    CWD_TRUNCATED = 1u << 10,
    PIDNS_ENTRY = 1u << 13,
}

/// <summary>RECORD_*: which layout follows the <see cref="record_prefix"/>.</summary>
internal enum record_kind : uint
{
    RECORD_EXEC = 1,
    RECORD_ARGV_CHUNK = 2,
    RECORD_FORK = 3,
    RECORD_EXIT = 4,
    RECORD_FILTERED = 5,
}

/// <summary>EXEC_COUNTER_*: the slots of the program's per-CPU counters map.</summary>
internal enum exec_counter : uint
{
    RINGBUF_DROPS = 0,
    SCRATCH_MISSING = 1,
    FORK_DROPS = 2,
    EXIT_DROPS = 3,
    FILTERED_EXECS = 4,
    LEADER_EXITED_EARLY = 5,
    MARKER_DROPS = 7,
    TREE_FULL = 8,
}
