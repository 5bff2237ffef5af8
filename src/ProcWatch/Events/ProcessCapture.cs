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
/// needed, /proc into the <see cref="ProcessInfo"/> events carry.
/// </summary>
internal sealed record ProcessCapture
{
    public required CaptureOrigin Origin { get; init; }

    public int? ParentPid { get; init; }
    public string? Name { get; init; }
    public string? Executable { get; init; }
    public bool ExecutableDeleted { get; init; }
    public bool ExecutableMemfd { get; init; }
    public ExecutableSource ExecutableSource { get; init; }

    /// <summary>The executable's mode bits (setuid/setgid, permissions) and owner, from its inode.</summary>
    public uint? ExecutableMode { get; init; }
    public uint? ExecutableOwner { get; init; }

    /// <summary>The executable file's version (device, inode, size, times): the key of its hash.</summary>
    public ProcWatch.Tracking.ExecutableVersion? ExecutableVersion { get; init; }

    /// <summary>The live parent chain at the event, parent first (the kernel's, exact across reparenting).</summary>
    public IReadOnlyList<int>? AncestorPids { get; init; }

    public IReadOnlyList<string>? Args { get; init; }
    public bool ArgsTruncated { get; init; }

    /// <summary>The true argument count, also when <see cref="Args"/> is cut.</summary>
    public int? ArgsCount { get; init; }
    public ArgvSource ArgvSource { get; init; }

    public string? WorkingDirectory { get; init; }
    public IdName? User { get; init; }
    public IdName? EffectiveUser { get; init; }
    public IdName? Group { get; init; }
    public IdName? EffectiveGroup { get; init; }

    /// <summary>Set when <see cref="LoginUid"/> was seen (null there then means "unset").</summary>
    public bool LoginUidKnown { get; init; }
    public uint? LoginUid { get; init; }

    public int? SessionId { get; init; }
    public int? ProcessGroupId { get; init; }

    /// <summary>/proc stat's tty_nr; 0: no terminal; null: not seen.</summary>
    public int? TtyNr { get; init; }
    public ulong? CgroupId { get; init; }

    /// <summary>task->start_boottime, CLOCK_BOOTTIME ns: with the pid, names the process.</summary>
    public ulong? StartBootNs { get; init; }

    /// <summary>Set when the capture has the whole exec context (paths, session, tty, start): /proc need not be read.</summary>
    public bool HasExecContext { get; init; }

    // At exit.
    public TimeSpan? UserCpu { get; init; }
    public TimeSpan? SystemCpu { get; init; }
    public long? PeakRssBytes { get; init; }
}
