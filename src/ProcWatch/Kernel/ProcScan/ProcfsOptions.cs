using ProcWatch.Events;

namespace ProcWatch.Kernel.ProcScan;

/// <summary>Settings of the /proc scanning backend.</summary>
internal sealed record ProcfsOptions
{
    /// <summary>Event kinds to report; the scanner can only see fork, exec and exit.</summary>
    public ProcessEventKinds Kinds { get; init; } = ProcessEventKinds.Default;

    /// <summary>Rescan at least this often (default 100 ms), whether or not inotify woke the scanner.</summary>
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Wake a rescan when the loader, ld.so.cache, libc or a bin directory is opened (default on).</summary>
    public bool UseInotify { get; init; } = true;

    /// <summary>
    /// All known processes are rechecked for an exec (a changed name, executable or argv) once
    /// per this many scan intervals: rechecking reads a file per process, listing /proc does
    /// not. Default 10 (once a second at the default interval); 1 rechecks on every scan.
    /// </summary>
    public int RecheckAllEveryIntervals { get; init; } = 10;

    /// <summary>
    /// Processes that started (or exec'd) this recently are rechecked on every scan: wrappers
    /// and shells exec again soon after they start. Default 2 s.
    /// </summary>
    public TimeSpan RecheckYoungFor { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Pin every process whose fork or exec is reported with a pidfd opened before its /proc
    /// data was read (<see cref="ProcessEvent.Pin"/>), so that an action reaches only that
    /// process (the daemon's kill). Off by default: a pidfd per new process is a cost the CLI does not need.
    /// </summary>
    public bool PinProcesses { get; init; }
}
