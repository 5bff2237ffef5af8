using System.Runtime.InteropServices;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Mirror of <c>struct exec_record_header</c> in bpf/exec_capture.h (host byte order).
/// A record is this header, then <see cref="filename_len"/> bytes of path, then
/// <see cref="argv_len"/> bytes of NUL-separated argv.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct exec_record_header
{
    internal const int Size = 80;
    internal const int COMM_LEN = 16;

    /// <summary>EXEC_ARGV_CAP: argv bytes kept per exec.</summary>
    internal const int ARGV_CAP = 65536;
    internal const int FILENAME_CAP = 4096;

    internal const uint EXEC_RECORD_ARGV_TRUNCATED = 1u << 0;
    internal const uint EXEC_RECORD_FILENAME_TRUNCATED = 1u << 1;
    internal const uint EXEC_RECORD_ARGV_UNREADABLE = 1u << 2;
    internal const uint EXEC_RECORD_NO_LOGINUID = 1u << 3;

    internal const uint EXEC_COUNTER_RINGBUF_DROPS = 0;
    internal const uint EXEC_COUNTER_SCRATCH_MISSING = 1;

    public ulong ktime_ns;
    public uint tgid;
    public uint old_pid;
    public uint ppid;
    public uint uid;
    public uint gid;
    public uint flags;
    public uint argv_len;
    public uint argv_full_len;
    public ushort filename_len;
    public ushort reserved0;
    public fixed byte comm[COMM_LEN];
    public uint loginuid;
    public uint euid;
    public uint egid;
    public ulong cgroup_id;
}

/// <summary>Mirror of <c>struct exec_settings</c> in bpf/exec_capture.h: the reader's wakeup policy.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct exec_settings
{
    public ulong wakeup_interval_ns;
    public ulong wakeup_bytes;
}
