namespace ProcWatch;

/// <summary>
/// What is known about a process at the time of an event: identity, program, arguments,
/// credentials, session and container. Every field is nullable because /proc reads race
/// with the process; null means "not known", never a guess. Filled by enrichment stages.
/// </summary>
public sealed record ProcessInfo
{
    /// <summary>The process id.</summary>
    public required int Pid { get; init; }

    /// <summary>The parent's process id.</summary>
    public int? ParentPid { get; init; }

    /// <summary>The kernel's 16-byte task name (comm).</summary>
    public string? Name { get; init; }

    /// <summary>Absolute path of the executable; " (deleted)" is stripped and <see cref="ExecutableDeleted"/> set.</summary>
    public string? Executable { get; init; }

    /// <summary>The executable was deleted (or replaced) after the process started it.</summary>
    public bool ExecutableDeleted { get; init; }

    /// <summary>The executable is a memfd (memfd_create, run with fexecve): a program that never was a file.</summary>
    public bool ExecutableMemfd { get; init; }

    /// <summary>The executable's mode bits (file type, set-user-ID 0o4000, set-group-ID 0o2000, permissions) from its inode at exec.</summary>
    public uint? ExecutableMode { get; init; }

    /// <summary>Where <see cref="Executable"/> came from: <see cref="ExecutableSource.Procfs"/> is the resolved path, <see cref="ExecutableSource.Execve"/> the path as given to execve.</summary>
    public ExecutableSource ExecutableSource { get; init; }

    /// <summary>The argument vector, argv[0] included; empty arguments are kept.</summary>
    public IReadOnlyList<string>? Args { get; init; }

    /// <summary>True when <see cref="Args"/> was cut at a capture limit.</summary>
    public bool ArgsTruncated { get; init; }

    /// <summary>The true number of arguments, also when <see cref="Args"/> is cut; null: that of <see cref="Args"/>.</summary>
    public int? ArgsCount { get; init; }

    /// <summary>Where <see cref="Args"/> came from: <see cref="ArgvSource.Ebpf"/> is exact, <see cref="ArgvSource.Procfs"/> may be raced.</summary>
    public ArgvSource ArgvSource { get; init; }

    /// <summary>The current working directory (/proc/PID/cwd).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The real user.</summary>
    public IdName? User { get; init; }

    /// <summary>The effective user (differs from <see cref="User"/> in a setuid program).</summary>
    public IdName? EffectiveUser { get; init; }

    /// <summary>The real group.</summary>
    public IdName? Group { get; init; }

    /// <summary>The effective group.</summary>
    public IdName? EffectiveGroup { get; init; }

    /// <summary>The audit login uid (who logged in, surviving su/sudo); null when unset.</summary>
    public uint? LoginUid { get; init; }

    /// <summary>The session id (the pid of the session leader).</summary>
    public int? SessionId { get; init; }

    /// <summary>The process group id (the job, in a shell).</summary>
    public int? ProcessGroupId { get; init; }

    /// <summary>The cgroup v2 id (the cgroup directory's inode number), when eBPF captured it at exec.</summary>
    public ulong? CgroupId { get; init; }

    /// <summary>
    /// The start in nanoseconds since boot (CLOCK_BOOTTIME): exact from the kernel (eBPF
    /// fork/exec records), else <see cref="ProcessInfo.StartTimeTicks"/> times the tick length.
    /// </summary>
    public ulong? StartBootNs { get; init; }

    /// <summary>SHA-256 of the executable file (lower-case hex, ECS <c>process.hash.sha256</c>); null when not hashed, see <see cref="HashStatus"/>.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Why <see cref="Sha256"/> is null: "pending", "too_large", "deleted", "memfd", "unreadable", "changed", "queue_full", "unavailable"; null when hashed or hashing is off.</summary>
    public string? HashStatus { get; init; }

    /// <summary>The executable file's owner at exec.</summary>
    public IdName? ExecutableOwner { get; init; }

    /// <summary>
    /// The kernel ran a file whose path nothing could give whole (deeper than the capture's
    /// walk, and /proc/PID/exe fails with ENAMETOOLONG): <see cref="Executable"/>
    /// is null and rules on it cannot match, so the exec raises a built-in alert.
    /// </summary>
    public bool ExecutableUnknown { get; init; }

    /// <summary>The program the dynamic loader was run to load (<c>procwatch.loaded_program.*</c>); null when the executable is not a loader.</summary>
    public ProgramFile? LoadedProgram { get; init; }

    /// <summary>The script an interpreter runs (<c>procwatch.script.*</c>); null when not an interpreter exec.</summary>
    public ScriptInfo? Script { get; init; }

    /// <summary>The parent chain at exec, the parent first (<c>procwatch.ancestors</c>), up to the configured depth; null when not known.</summary>
    public IReadOnlyList<ParentInfo>? Ancestors { get; init; }

    /// <summary>True when <see cref="Executable"/> is the resolved path of the program (from /proc/PID/exe), not the name it was started by.</summary>
    public bool ExecutableResolved => ExecutableSource is ExecutableSource.Procfs or ExecutableSource.Ebpf;

    /// <summary>Controlling terminal, e.g. "pts/3"; null when none.</summary>
    public string? Tty { get; init; }

    /// <summary>The cgroup v2 path, e.g. "/system.slice/ssh.service".</summary>
    public string? CgroupPath { get; init; }

    /// <summary>The container id found in the cgroup path (docker, podman, containerd, CRI-O), when there is one.</summary>
    public string? ContainerId { get; init; }

    /// <summary>The container's identity from its runtime (name, image, pod); null outside containers, or before the runtime was read (the first events of a new container).</summary>
    public ContainerIdentity? Container { get; init; }

    /// <summary>
    /// The process entered a running container from outside (<c>docker exec</c>, <c>podman exec</c>,
    /// <c>kubectl exec</c>, <c>nsenter</c>): at exec it was in another pid namespace than its
    /// parent, and not that namespace's first process. Its parent is the process that did it.
    /// </summary>
    public bool ContainerEntry { get; init; }

    /// <summary>When the process started (wall clock).</summary>
    public DateTimeOffset? Start { get; init; }

    /// <summary>/proc/PID/stat starttime (clock ticks since boot): with the pid, identifies the process across pid reuse.</summary>
    public ulong? StartTimeTicks { get; init; }

    /// <summary>A stable, unique id for the process: boot id + pid + start time (ns since boot).</summary>
    public string? EntityId { get; init; }

    /// <summary>A kernel thread (no user memory), shown in [brackets].</summary>
    public bool IsKernelThread { get; init; }

    /// <summary>The environment, only when asked for (<c>--env</c>).</summary>
    public IReadOnlyList<string>? Environment { get; init; }

    /// <summary>The parent process, as far as known.</summary>
    public ParentInfo? Parent { get; init; }
}

/// <summary>A numeric id with its name (user or group), the name null when it does not resolve.</summary>
/// <param name="Id">The numeric id (uid or gid).</param>
/// <param name="Name">The name from the passwd or group database; null when it does not resolve.</param>
public readonly record struct IdName(uint Id, string? Name);

/// <summary>The parent's summary carried on child events (<c>process.parent.*</c>).</summary>
public sealed record ParentInfo
{
    /// <summary>The parent's process id.</summary>
    public required int Pid { get; init; }

    /// <summary>The parent's comm.</summary>
    public string? Name { get; init; }

    /// <summary>The parent's executable path.</summary>
    public string? Executable { get; init; }

    /// <summary>The parent's argument vector.</summary>
    public IReadOnlyList<string>? Args { get; init; }

    /// <summary>The parent's <see cref="ProcessInfo.EntityId"/>.</summary>
    public string? EntityId { get; init; }
}
