using System.Collections.Immutable;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// One successful execve as seen by the eBPF program on <c>sched_process_exec</c>, taken
/// before the new program ran: the argv is exactly what the caller passed.
/// </summary>
internal sealed class ExecRecord
{
    public ExecRecord(
        int tgid,
        int oldPid,
        int parentTgid,
        uint uid,
        uint gid,
        ulong kernelTimeNs,
        string filename,
        string comm,
        ImmutableArray<string> argv,
        bool argvTruncated,
        int argvFullLength,
        ExecIdentity identity = default)
    {
        Identity = identity;
        Tgid = tgid;
        OldPid = oldPid;
        ParentTgid = parentTgid;
        Uid = uid;
        Gid = gid;
        KernelTimeNs = kernelTimeNs;
        Filename = filename;
        Comm = comm;
        Argv = argv;
        ArgvTruncated = argvTruncated;
        ArgvFullLength = argvFullLength;
    }

    /// <summary>The process (thread group) that now runs the new image.</summary>
    public int Tgid { get; }

    /// <summary>The thread that called execve; differs from <see cref="Tgid"/> when a non-leader thread exec'd.</summary>
    public int OldPid { get; }

    /// <summary>real_parent's tgid.</summary>
    public int ParentTgid { get; }

    /// <summary>Credentials after exec (a set-user-ID program already has its new uid here).</summary>
    public uint Uid { get; }

    public uint Gid { get; }

    /// <summary>CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns), the clock of proc connector timestamps.</summary>
    public ulong KernelTimeNs { get; }

    /// <summary>The path given to execve (for fexecve, <c>/dev/fd/N</c>; for a script, the script).</summary>
    public string Filename { get; }

    /// <summary>The new comm (basename of the file, at most 15 bytes).</summary>
    public string Comm { get; }

    /// <summary>Arguments, decoded losslessly (invalid UTF-8 bytes become U+DC80..U+DCFF).</summary>
    public ImmutableArray<string> Argv { get; }

    /// <summary>True when argv was longer than <see cref="ExecCapture.ArgvCapBytes"/>; the last element is then cut.</summary>
    public bool ArgvTruncated { get; }

    /// <summary>Bytes of argv in the process (arg_end - arg_start), also when truncated.</summary>
    public int ArgvFullLength { get; }

    /// <summary>Effective credentials, login uid and cgroup at exec (all zero from older records and tests).</summary>
    public ExecIdentity Identity { get; }
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
