namespace ProcWatch.Events;

/// <summary>Every kind of event ProcWatch reports. The names are the JSON <c>event.action</c> values.</summary>
public enum ProcessEventKind : byte
{
    Fork,
    Clone,
    Exec,
    Exit,
    Comm,
    Uid,
    Gid,
    Sid,
    Ptrace,
    Coredump,
    Lost,
    Unknown,
}

/// <summary>A set of <see cref="ProcessEventKind"/> as bits; cheap to test on the hot path.</summary>
[Flags]
public enum ProcessEventKinds
{
    None = 0,
    Fork = 1 << ProcessEventKind.Fork,
    Clone = 1 << ProcessEventKind.Clone,
    Exec = 1 << ProcessEventKind.Exec,
    Exit = 1 << ProcessEventKind.Exit,
    Comm = 1 << ProcessEventKind.Comm,
    Uid = 1 << ProcessEventKind.Uid,
    Gid = 1 << ProcessEventKind.Gid,
    Sid = 1 << ProcessEventKind.Sid,
    Ptrace = 1 << ProcessEventKind.Ptrace,
    Coredump = 1 << ProcessEventKind.Coredump,
    Lost = 1 << ProcessEventKind.Lost,
    Unknown = 1 << ProcessEventKind.Unknown,

    /// <summary>The default: what `forkstat` shows.</summary>
    Default = Fork | Exec | Exit,
    All = Fork | Clone | Exec | Exit | Comm | Uid | Gid | Sid | Ptrace | Coredump | Unknown,
}

public static class ProcessEventKindNames
{
    private static readonly string[] Names =
        ["fork", "clone", "exec", "exit", "comm", "uid", "gid", "sid", "ptrace", "coredump", "lost", "unknown"];

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
            "all" => ProcessEventKinds.All,
            _ => ProcessEventKinds.None,
        };
        return kinds != ProcessEventKinds.None;
    }
}
