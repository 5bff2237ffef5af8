using System.Runtime.InteropServices;
using ProcWatch.Interop;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Kernel.Pinning;

/// <summary>What signalling a pinned process found.</summary>
internal enum PinnedSignalOutcome
{
    /// <summary>The signal went to the pinned process, which still ran the expected executable.</summary>
    Signalled,
    /// <summary>The pinned process has exited (its pid may be another's now): nothing was signalled.</summary>
    Gone,
    /// <summary>The pin was released (evicted from its pool), or the executable could not be read or differs: nothing was signalled.</summary>
    NotCertain,
    /// <summary>The kernel refused the signal (errno).</summary>
    Failed,
}

/// <summary>
/// A pidfd opened before a process's /proc data was read, and proven to name the same
/// process as that data (<see cref="TryConfirm"/>). The procfs backend knows a start time only
/// to the clock tick, so a pid reused within one tick looks the same there; a pidfd never
/// refers to a later holder of the pid. The descriptor is closed by its <see cref="ProcessPinPool"/>
/// (eviction or disposal); signalling and closing are serialised, so a signal never goes
/// through a descriptor number that was closed and reused.
/// </summary>
internal sealed class ProcessPin
{
    private readonly Lock _gate = new();
    private int _pidfd;

    private ProcessPin(int pid, int pidfd)
    {
        Pid = pid;
        _pidfd = pidfd;
    }

    public int Pid { get; }

    /// <summary>The executable read through /proc while the pin held (null when unreadable).</summary>
    public string? Executable { get; set; }

    /// <summary>The name (comm) read through /proc while the pin held.</summary>
    public string? Name { get; set; }

    /// <summary>False once the pool closed the descriptor.</summary>
    public bool IsHeld
    {
        get { lock (_gate) return _pidfd >= 0; }
    }

    /// <summary>Opens a pidfd for <paramref name="pid"/>; call before reading /proc/PID, then <see cref="TryConfirm"/> after.</summary>
    public static ProcessPin? TryOpen(int pid)
    {
        int fd = Libc.PidfdOpen(pid);
        return fd >= 0 ? new ProcessPin(pid, fd) : null;
    }

    /// <summary>
    /// True when the pinned process still holds the pid now. Called after the reads: a process
    /// that held the pid when the pin was opened and still holds it held it throughout (two
    /// processes never share a pid), so whatever was read through /proc/PID in between was its.
    /// A zombie still holds its pid, so one that exited after the read still counts.
    /// </summary>
    public bool TryConfirm()
    {
        lock (_gate)
            return _pidfd >= 0 && Libc.PidfdSendSignal(_pidfd, 0) == 0;
    }

    /// <summary>True when the pin is held and its process is reaped: whoever holds the pid now is another process.</summary>
    public bool HasExited()
    {
        lock (_gate)
            return _pidfd >= 0 && Libc.PidfdSendSignal(_pidfd, 0) != 0 && Marshal.GetLastPInvokeError() == Libc.ESRCH;
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to the pinned process, only if the event describes what
    /// was read through this pin (<paramref name="expectedExecutable"/> and <paramref name="expectedName"/>
    /// are <see cref="Executable"/> and <see cref="Name"/>: facts merged in from elsewhere, such as
    /// another process's table entry with the same start tick, are not this process's) and the
    /// process still runs that executable (read from /proc/PID/exe, the read bracketed by two
    /// liveness checks through the pidfd so that it was the pinned process's).
    /// </summary>
    public (PinnedSignalOutcome Outcome, int Errno) Signal(int signal, string? expectedExecutable, string? expectedName)
    {
        lock (_gate)
        {
            if (_pidfd < 0)
                return (PinnedSignalOutcome.NotCertain, 0);
            if (Libc.PidfdSendSignal(_pidfd, 0) != 0)
                return Refusal();
            if (expectedExecutable is null || Executable is null
                || !string.Equals(expectedExecutable, Executable, StringComparison.Ordinal)
                || !string.Equals(expectedName, Name, StringComparison.Ordinal))
                return (PinnedSignalOutcome.NotCertain, 0);
            bool readable = ProcLinks.TryReadExecutable(Pid, out string executable, out _);
            if (Libc.PidfdSendSignal(_pidfd, 0) != 0)
                return Refusal();
            if (!readable || !string.Equals(executable, expectedExecutable, StringComparison.Ordinal))
                return (PinnedSignalOutcome.NotCertain, 0);
            return Libc.PidfdSendSignal(_pidfd, signal) == 0 ? (PinnedSignalOutcome.Signalled, 0) : Refusal();
        }
    }

    /// <summary>Closes the descriptor (idempotent).</summary>
    public void Release()
    {
        lock (_gate)
        {
            if (_pidfd >= 0)
                Libc.Close(_pidfd);
            _pidfd = -1;
        }
    }

    private static (PinnedSignalOutcome, int) Refusal()
    {
        int errno = Marshal.GetLastPInvokeError();
        return errno == Libc.ESRCH ? (PinnedSignalOutcome.Gone, errno) : (PinnedSignalOutcome.Failed, errno);
    }
}
