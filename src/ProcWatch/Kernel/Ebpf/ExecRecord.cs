using ProcWatch.Events;
using System.Collections.Immutable;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>One record from the kernel capture's ring buffer: an exec, a fork or a process exit.</summary>
internal abstract class KernelRecord : SourceRecord
{
    /// <summary>The process (thread group) the record is about.</summary>
    public required int Tgid { get; init; }

    /// <summary>CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns), the clock of proc connector timestamps.</summary>
    public required ulong KernelTimeNs { get; init; }

    /// <summary>The process's task->start_boottime: CLOCK_BOOTTIME ns at its fork; 0 when not known.</summary>
    public ulong StartBootNs { get; init; }
}

/// <summary>A new process (not a thread), from <c>sched_process_fork</c>.</summary>
internal sealed class ForkRecord : KernelRecord
{
    /// <summary>real_parent's: the parent /proc and the connector name.</summary>
    public required int ParentTgid { get; init; }

    /// <summary>
    /// The process that called fork/clone; differs from <see cref="ParentTgid"/> after
    /// clone(CLONE_PARENT), whose child gets the creator's parent. 0: not known.
    /// </summary>
    public int CreatorTgid { get; init; }

    /// <summary>The child's credentials at fork (its creator's then); null: not known.</summary>
    public TaskIds? Ids { get; init; }
}

/// <summary>The end of a process (its last thread), from <c>sched_process_exit</c>.</summary>
internal sealed class ExitRecord : KernelRecord
{
    /// <summary>The raw wait status (task->exit_code).</summary>
    public required int ExitCode { get; init; }

    /// <summary>User and system CPU time of all the process's threads.</summary>
    public required TimeSpan UserCpu { get; init; }

    public required TimeSpan SystemCpu { get; init; }

    /// <summary>Peak resident set size, bytes (getrusage's ru_maxrss, in bytes).</summary>
    public required long PeakRssBytes { get; init; }

    /// <summary>The credentials it ended with; null: not known.</summary>
    public TaskIds? Ids { get; init; }
}

/// <summary>
/// A process's real and effective uid and gid as a fork or exit record caught them: exact at
/// that instant, whatever order the connector's uid/gid events arrive in (another buffer).
/// </summary>
internal readonly record struct TaskIds(uint Uid, uint EffectiveUid, uint Gid, uint EffectiveGid);

/// <summary>
/// One successful execve as seen by the eBPF program on <c>sched_process_exec</c>, taken
/// before the new program ran: the argv is exactly what the caller passed, and the paths,
/// session and credentials are the ones of that instant.
/// </summary>
internal sealed class ExecRecord : KernelRecord
{
    /// <summary>The thread that called execve; differs from <see cref="KernelRecord.Tgid"/> when a non-leader thread exec'd.</summary>
    public required int OldPid { get; init; }

    /// <summary>real_parent's tgid.</summary>
    public required int ParentTgid { get; init; }

    /// <summary>Credentials after exec (a set-user-ID program already has its new uid here).</summary>
    public required uint Uid { get; init; }

    public required uint Gid { get; init; }

    /// <summary>The path given to execve (for fexecve, <c>/dev/fd/N</c>; for a script, the script).</summary>
    public required string Filename { get; init; }

    /// <summary>The new comm (basename of the file, at most 15 bytes).</summary>
    public required string Comm { get; init; }

    /// <summary>Arguments, decoded losslessly (invalid UTF-8 bytes become U+DC80..U+DCFF).</summary>
    public required ImmutableArray<string> Argv { get; init; }

    /// <summary>True when argv was longer than the capture keeps (<see cref="ExecCapture.ArgvLimitBytes"/>) or a chunk was lost; the last element is then cut.</summary>
    public required bool ArgvTruncated { get; init; }

    /// <summary>Bytes of argv in the process (arg_end - arg_start), also when truncated.</summary>
    public required int ArgvFullLength { get; init; }

    /// <summary>The kernel's argument count (bprm->argc), exact also when argv is cut; null with the classic tracepoint.</summary>
    public int? Argc { get; init; }

    /// <summary>Effective credentials, login uid and cgroup at exec (all zero from older records and tests).</summary>
    public ExecIdentity Identity { get; init; }

    /// <summary>The executable (mm->exe_file) walked to the root of the mount namespace; null when unknown or cut.</summary>
    public string? Executable { get; init; }

    /// <summary>The executable was unlinked (or is a pseudo file), as /proc's " (deleted)".</summary>
    public bool ExecutableDeleted { get; init; }

    /// <summary>The executable is a memfd (memfd_create): a program that never was a file.</summary>
    public bool ExecutableMemfd { get; init; }

    /// <summary>The executable's inode: device, inode number, mode (type, setuid/setgid, permissions), owner.</summary>
    public ExecutableFile? File { get; init; }

    /// <summary>The working directory at exec, walked like <see cref="Executable"/>; null when unknown or cut.</summary>
    public string? WorkingDirectory { get; init; }

    public int? SessionId { get; init; }

    public int? ProcessGroupId { get; init; }

    /// <summary>The controlling terminal as /proc/PID/stat's tty_nr; 0: none.</summary>
    public int TtyNr { get; init; }

    /// <summary>The parent chain at exec (real_parent's tgid first), up to <see cref="exec_record_header.ANCESTORS_MAX"/>; empty when unknown.</summary>
    public ImmutableArray<int> Ancestors { get; init; } = ImmutableArray<int>.Empty;

    /// <summary>True for records with the session, tty and paths (every kernel record; not the older test records).</summary>
    public bool HasContext { get; init; }

    /// <summary>EXEC_RECORD_PIDNS_ENTRY: in another pid namespace than its parent and not its pid 1 (entered a container).</summary>
    public bool EnteredPidNamespace { get; init; }
}

/// <summary>The executable's inode as the kernel saw it at exec.</summary>
internal readonly record struct ExecutableFile(uint Device, ulong Inode, uint Mode, uint OwnerUid, uint LinkCount)
{
    /// <summary>i_size and the modification and change times (ns; 0 on kernels before 6.11): with device and inode, the file's version.</summary>
    public long Size { get; init; }
    public long MtimeNs { get; init; }
    public long CtimeNs { get; init; }

    public bool SetUid => (Mode & 0x800) != 0;
    public bool SetGid => (Mode & 0x400) != 0;
}

/// <summary>
/// What the eBPF program reads besides argv, so that enrichment need not read
/// /proc/PID/status, loginuid and cgroup for the exec: effective uid and gid (set-user-ID
/// applied), the audit login uid, and the cgroup v2 id.
/// </summary>
internal readonly record struct ExecIdentity(uint EffectiveUid, uint EffectiveGid, uint? LoginUid, ulong CgroupId)
{
    /// <summary>False for a default value (a record built without them).</summary>
    public bool Known { get; init; }
}
