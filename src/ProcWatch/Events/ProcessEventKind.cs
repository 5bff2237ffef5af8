namespace ProcWatch;

/// <summary>Every kind of event ProcWatch reports. The names are the JSON <c>event.action</c> values.</summary>
public enum ProcessEventKind : byte
{
    /// <summary>A new process (fork, vfork, clone without CLONE_THREAD).</summary>
    Fork,
    /// <summary>A new thread in an existing process.</summary>
    Clone,
    /// <summary>A successful execve: the process runs a new program.</summary>
    Exec,
    /// <summary>A task ended (a thread, or the whole process).</summary>
    Exit,
    /// <summary>The task renamed itself (its comm).</summary>
    Comm,
    /// <summary>The real or effective user id changed.</summary>
    Uid,
    /// <summary>The real or effective group id changed.</summary>
    Gid,
    /// <summary>The process started a new session (setsid).</summary>
    Sid,
    /// <summary>A tracer attached or detached.</summary>
    Ptrace,
    /// <summary>The process is dumping core.</summary>
    Coredump,
    /// <summary>Events were lost (see <see cref="LostEvent"/>).</summary>
    Lost,
    /// <summary>A connector event of a kind this version does not know.</summary>
    Unknown,
    /// <summary>An exec a deny rule stopped, or would have stopped in audit mode (see <see cref="DeniedEvent"/>).</summary>
    Denied,
    /// <summary>A file's hash that came after its exec (see <see cref="HashEvent"/>); delivered whenever execs are.</summary>
    Hash,
    /// <summary>An execve that failed (ENOENT, EACCES, ENOEXEC…; see <see cref="ExecFailedEvent"/>). Opt-in: not in <see cref="ProcessEventKinds.All"/>.</summary>
    ExecFailed,
}

/// <summary>A set of <see cref="ProcessEventKind"/> as bits; cheap to test on the hot path.</summary>
[Flags]
public enum ProcessEventKinds
{
    /// <summary>No kinds.</summary>
    None = 0,
    /// <summary>A new process (fork, vfork, clone without CLONE_THREAD).</summary>
    Fork = 1 << ProcessEventKind.Fork,
    /// <summary>A new thread in an existing process.</summary>
    Clone = 1 << ProcessEventKind.Clone,
    /// <summary>A successful execve: the process runs a new program.</summary>
    Exec = 1 << ProcessEventKind.Exec,
    /// <summary>A task ended (a thread, or the whole process).</summary>
    Exit = 1 << ProcessEventKind.Exit,
    /// <summary>The task renamed itself (its comm).</summary>
    Comm = 1 << ProcessEventKind.Comm,
    /// <summary>The real or effective user id changed.</summary>
    Uid = 1 << ProcessEventKind.Uid,
    /// <summary>The real or effective group id changed.</summary>
    Gid = 1 << ProcessEventKind.Gid,
    /// <summary>The process started a new session (setsid).</summary>
    Sid = 1 << ProcessEventKind.Sid,
    /// <summary>A tracer attached or detached.</summary>
    Ptrace = 1 << ProcessEventKind.Ptrace,
    /// <summary>The process is dumping core.</summary>
    Coredump = 1 << ProcessEventKind.Coredump,
    /// <summary>Events were lost (see <see cref="LostEvent"/>).</summary>
    Lost = 1 << ProcessEventKind.Lost,
    /// <summary>A connector event of a kind this version does not know.</summary>
    Unknown = 1 << ProcessEventKind.Unknown,
    /// <summary>An exec a deny rule stopped (always reported when deny rules are loaded, like losses).</summary>
    Denied = 1 << ProcessEventKind.Denied,
    /// <summary>A file's hash that came after its exec; delivered whenever <see cref="Exec"/> is.</summary>
    Hash = 1 << ProcessEventKind.Hash,
    /// <summary>An execve that failed. Opt-in (a hook on every syscall's exit: docs/what-ran.md); <see cref="All"/> leaves it out.</summary>
    ExecFailed = 1 << ProcessEventKind.ExecFailed,

    /// <summary>The default: what `forkstat` shows.</summary>
    Default = Fork | Exec | Exit,
    /// <summary>Every kind except <see cref="Lost"/> (losses are always reported anyway).</summary>
    All = Fork | Clone | Exec | Exit | Comm | Uid | Gid | Sid | Ptrace | Coredump | Unknown,
}

internal static class ProcessEventKindNames
{
    private static readonly string[] Names =
        ["fork", "clone", "exec", "exit", "comm", "uid", "gid", "sid", "ptrace", "coredump", "lost", "unknown", "denied", "hash", "execfail"];

    /// <summary>The lower-case name used in JSON (<c>event.action</c>), tables and statistics.</summary>
    public static string Name(this ProcessEventKind kind) => Names[(int)kind];

    public static bool Contains(this ProcessEventKinds set, ProcessEventKind kind) =>
        ((int)set & (1 << (int)kind)) != 0;

    public static ProcessEventKinds ToSet(this ProcessEventKind kind) => (ProcessEventKinds)(1 << (int)kind);

    /// <summary>Parses one name of the CLI's <c>-e</c> list (<c>core</c> is accepted for coredump, <c>all</c> for all).</summary>
    public static bool TryParse(ReadOnlySpan<char> name, out ProcessEventKinds kinds)
    {
        kinds = name switch
        {
            "fork" => ProcessEventKinds.Fork,
            "clone" => ProcessEventKinds.Clone,
            "exec" => ProcessEventKinds.Exec,
            "exit" => ProcessEventKinds.Exit,
            "comm" => ProcessEventKinds.Comm,
            "uid" => ProcessEventKinds.Uid,
            "gid" => ProcessEventKinds.Gid,
            "sid" => ProcessEventKinds.Sid,
            "ptrace" => ProcessEventKinds.Ptrace,
            "core" or "coredump" => ProcessEventKinds.Coredump,
            "execfail" => ProcessEventKinds.ExecFailed,
            "all" => ProcessEventKinds.All,
            _ => ProcessEventKinds.None,
        };
        return kinds != ProcessEventKinds.None;
    }
}
