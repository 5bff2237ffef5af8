using ProcWatch.Events;

namespace ProcWatch.Kernel.ProcScan;

/// <summary>How far a tracked process is known to be along fork → exec.</summary>
internal enum TrackedState : byte
{
    /// <summary>Seen as a copy of its parent: its exec is still to come (rechecked on every scan).</summary>
    Forked,
    /// <summary>Runs its own program (exec'd while watched, or already running at start).</summary>
    Running,
    /// <summary>Caught inside execve, argv not readable yet: its fork or exec is reported on a later scan (or at its exit).</summary>
    ArgsPending,
    /// <summary>/proc lists it but refuses to show it (hidepid=1/noaccess): only its existence is tracked.</summary>
    Opaque,
}

/// <summary>What the scanner remembers of one process between scans (mutable, owned by the scan thread).</summary>
internal sealed class TrackedProcess
{
    public required int Pid { get; init; }
    public ulong StartTimeTicks { get; set; }
    public int ParentPid { get; set; }
    public TrackedState State { get; set; }
    public string? Comm { get; set; }

    /// <summary>The raw name, to compare with /proc/PID/comm without decoding it.</summary>
    public byte[] CommBytes { get; set; } = [];
    public string? Executable { get; set; }
    public string[]? Args { get; set; }

    /// <summary>The read found an empty argv in a user process: it was inside execve.</summary>
    public bool ArgsUnreadyAtRead { get; init; }

    /// <summary>While <see cref="TrackedState.ArgsPending"/>: a new pid (fork or exec still to decide) rather than a known one exec'ing.</summary>
    public bool PendingIsNew { get; set; }

    /// <summary>The scan that last saw the pid in /proc; an older value after a scan means it exited.</summary>
    public uint SeenInScan { get; set; }

    /// <summary>When the scanner first saw the process run its current program (CLOCK_MONOTONIC).</summary>
    public long FirstSeenNs { get; set; }

    /// <summary>CLOCK_MONOTONIC start, for the exit event's duration.</summary>
    public long StartMonotonicNs { get; set; }

    /// <summary>The description sent with its last event, reused for its exit (no new allocation).</summary>
    public ProcessInfo? Info { get; set; }

    /// <summary>The pidfd held since the read that gave <see cref="Info"/>, when the scanner pins (null when it could not be confirmed).</summary>
    public Pinning.ProcessPin? Pin { get; set; }
}
