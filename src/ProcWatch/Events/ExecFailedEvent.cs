namespace ProcWatch;

/// <summary>
/// An execve or execveat that failed (<c>-e execfail</c>, opt-in: see docs/what-ran.md): the
/// caller asked for a program that is missing (ENOENT), not executable (EACCES), not a format
/// the kernel runs (ENOEXEC), and so on, and went on running its own program.
/// <see cref="ProcessEvent.Process"/> describes the attempt as the kernel saw it, as for a
/// <see cref="DeniedEvent"/>: the caller's pid, name, cwd, users, parent and cgroup, the argv
/// it passed (read back from its memory when the call returned), and as
/// <see cref="ProcessInfo.Executable"/> the path it tried (resolved against its cwd when
/// relative; it may not exist).
/// </summary>
public sealed record ExecFailedEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.ExecFailed"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.ExecFailed;

    /// <summary>The error number execve returned (positive: 2 is ENOENT).</summary>
    public required int Errno { get; init; }

    /// <summary>The error's symbolic name ("ENOENT", "EACCES", "ENOEXEC"; "E" + the number for one this version does not name).</summary>
    public string ErrorName => Events.ErrnoNames.Name(Errno);

    /// <summary>"execve" or "execveat".</summary>
    public required string Syscall { get; init; }

    /// <summary>The path exactly as given to the call (may be relative, or empty with execveat's AT_EMPTY_PATH); null when it could not be read.</summary>
    public string? Filename { get; init; }

    /// <summary>execveat's directory descriptor, when it was not AT_FDCWD (the path is then relative to it, not to the cwd).</summary>
    public int? DirectoryFd { get; init; }

    /// <summary>execveat's flags (AT_EMPTY_PATH 0x1000, AT_SYMLINK_NOFOLLOW 0x100); 0 for execve.</summary>
    public int Flags { get; init; }

    /// <summary>The program the caller was running when it tried (from the process table), when known.</summary>
    public string? CallerExecutable { get; init; }
}
