namespace ProcWatch;

/// <summary>Who saw a <see cref="ProcessCapture"/>'s fields.</summary>
internal enum CaptureOrigin : byte
{
    /// <summary>The kernel, at the event (eBPF): exact, and cannot race with the process.</summary>
    Kernel,

    /// <summary>A /proc scan (the procfs backend), checked against the process's start time.</summary>
    Scan,
}

/// <summary>
/// What a source saw of a process at one event, before anything is merged: every field is
/// optional (null: not seen), and all of them come from <see cref="Origin"/>. The one merge
/// step (<c>Tracking.ProcessAssembler</c>) turns it, the process table and, where still
/// needed, /proc into the <see cref="ProcessInfo"/> events carry. The facts both hold are
/// <see cref="ProcessFacts"/>'s; these are what only a capture has (raw ids, kernel context).
/// </summary>
internal sealed record ProcessCapture : ProcessFacts
{
    public required CaptureOrigin Origin { get; init; }

    /// <summary>The executable's owner uid, from its inode (ProcessInfo has it with its name).</summary>
    public uint? ExecutableOwner { get; init; }

    /// <summary>The executable file's version (device, inode, size, times): the key of its hash.</summary>
    public ProcWatch.Events.ExecutableVersion? ExecutableVersion { get; init; }

    /// <summary>The path execve was given (bprm->filename): for a <c>#!</c> script the script, while the executable is its interpreter.</summary>
    public string? ExecFilename { get; init; }

    /// <summary>The live parent chain at the event, parent first (the kernel's, exact across reparenting).</summary>
    public IReadOnlyList<int>? AncestorPids { get; init; }

    /// <summary>Set when <see cref="ProcessFacts.LoginUid"/> was seen (null there then means "unset").</summary>
    public bool LoginUidKnown { get; init; }

    /// <summary>/proc stat's tty_nr; 0: no terminal; null: not seen.</summary>
    public int? TtyNr { get; init; }

    /// <summary>The kernel saw it in another pid namespace than its parent, not as that namespace's pid 1: an entry into a container.</summary>
    public bool EnteredPidNamespace { get; init; }

    /// <summary>Set when the capture has the whole exec context (paths, session, tty, start): /proc need not be read.</summary>
    public bool HasExecContext { get; init; }

    // At exit.
    public TimeSpan? UserCpu { get; init; }
    public TimeSpan? SystemCpu { get; init; }
    public long? PeakRssBytes { get; init; }
}
