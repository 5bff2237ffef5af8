namespace ProcWatch;

/// <summary>
/// A program that must not run, judged by the kernel at exec before the program's first
/// instruction (<see cref="WatchOptions.DenyRules"/>). The file conditions
/// (<see cref="Executables"/>, <see cref="Directories"/>, <see cref="Fileless"/>,
/// <see cref="Sha256"/>) are alternatives: the program matches if any one holds (none given:
/// every program). The process conditions (<see cref="User"/>, <see cref="Cgroup"/>,
/// <see cref="ParentExecutable"/>) must all hold. Arguments cannot be judged at that point: use
/// a post-exec rule for them. Files are matched by identity (device and inode, resolved when the
/// rules load), so a hard link or a rename does not escape; a file replaced later (a new inode)
/// needs a reload.
/// </summary>
public sealed record DenyRule
{
    /// <summary>Names the rule in events, metrics and errors (required: an unnamed rule is refused at start).</summary>
    public string Name { get; init; } = "";

    /// <summary>Audit mode: the exec goes on, and a <see cref="DeniedEvent"/> (with <see cref="DeniedEvent.Audit"/>) says it would have been refused.</summary>
    public bool Audit { get; init; }

    /// <summary>
    /// Lets the rule match an essential program of this host (init, a shell of /etc/shells, the
    /// dynamic loader, sshd, ProcWatch); without it such a rule is refused at load. PID 1 and
    /// ProcWatch's own process are never denied, whatever this says.
    /// </summary>
    public bool AllowCritical { get; init; }

    /// <summary>Absolute paths of executables, or globs (<c>*</c>, <c>?</c>) expanded when the rules load.</summary>
    public IReadOnlyList<string> Executables { get; init; } = [];

    /// <summary>Directories (or mounts: <c>/tmp</c>, <c>/dev/shm</c>): any executable below them, at any depth.</summary>
    public IReadOnlyList<string> Directories { get; init; } = [];

    /// <summary>Programs that are no file: a memfd, a deleted file, an O_TMPFILE (no link left).</summary>
    public bool Fileless { get; init; }

    /// <summary>SHA-256 digests (hex): a file is denied from the moment ProcWatch has hashed it (its first exec is reported, not stopped).</summary>
    public IReadOnlyList<string> Sha256 { get; init; } = [];

    /// <summary>User name or uid: the real or the effective user of the new program.</summary>
    public string? User { get; init; }

    /// <summary>A cgroup v2 directory (absolute path): processes in it or below it (a container).</summary>
    public string? Cgroup { get; init; }

    /// <summary>Absolute path of the parent's executable.</summary>
    public string? ParentExecutable { get; init; }

    /// <summary>True when the rule names no file condition (it matches by user, cgroup or parent only).</summary>
    internal bool MatchesAnyFile => Executables.Count == 0 && Directories.Count == 0 && !Fileless && Sha256.Count == 0;
}
