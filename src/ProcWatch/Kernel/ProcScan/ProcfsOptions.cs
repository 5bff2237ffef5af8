using ProcWatch.Events;

namespace ProcWatch.Kernel.ProcScan;

/// <summary>Settings of the /proc scanning backend.</summary>
public sealed record ProcfsOptions
{
    /// <summary>Event kinds to report; the scanner can only see fork, exec and exit.</summary>
    public ProcessEventKinds Kinds { get; init; } = ProcessEventKinds.Default;

    /// <summary>Rescan at least this often (default 100 ms), whether or not inotify woke the scanner.</summary>
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Wake a rescan when the loader, ld.so.cache, libc or a bin directory is opened (default on).</summary>
    public bool UseInotify { get; init; } = true;

    /// <summary>
    /// Every how many timer scans the known processes are rechecked for an exec (a changed
    /// name, executable or argv) when inotify did not wake the scanner: rechecking reads a
    /// file per process, listing /proc does not. 1 rechecks on every scan.
    /// </summary>
    public int RecheckEveryTimerScans { get; init; } = 10;
}
