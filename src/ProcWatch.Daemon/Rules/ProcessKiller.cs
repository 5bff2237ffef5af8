using System.Runtime.InteropServices;
using ProcWatch.Interop;
using ProcWatch.Kernel;

namespace ProcWatch.Rules;

/// <summary>How a kill ended.</summary>
internal enum KillOutcome
{
    /// <summary>SIGKILL was delivered to the process the event was about.</summary>
    Killed,
    /// <summary>The process had already exited (its pid is free, or now another process's): nothing was signalled.</summary>
    Gone,
    /// <summary>The process now holding the pid cannot be told apart from the event's (its start is too close to the event): nothing was signalled.</summary>
    Unverified,
    /// <summary>pid ≤ 1, or this process: never signalled.</summary>
    Refused,
    /// <summary>The kernel refused (errno).</summary>
    Failed,
}

/// <summary>
/// The <c>kill</c> action, safe against pid reuse. A plain kill(pid) after an event signals
/// whoever holds the pid by then: a process that exits at once and whose pid is taken by
/// another would have the innocent one killed. So: open a pidfd (it pins one process, never a
/// later holder of the pid), prove that process is the event's — it started no later than a
/// moment at which the event's process is known to have held the pid (the exec's kernel time):
/// two live processes never share a pid, so a holder that already existed then is that process
/// — and signal only through the pidfd. A holder that started after the event is a different
/// process: the event's process is gone.
/// </summary>
internal sealed class ProcessKiller : IDisposable
{
    private readonly TaskStartTime _starts = new();


    /// <param name="pid">The event's process.</param>
    /// <param name="heldAtMonotonicNs">A CLOCK_MONOTONIC time at which that process held <paramref name="pid"/> (the event's kernel time).</param>
    /// <returns>The outcome and, for <see cref="KillOutcome.Failed"/>, the errno.</returns>
    public (KillOutcome Outcome, int Errno) Kill(int pid, long heldAtMonotonicNs)
    {
        if (pid <= 1 || pid == Environment.ProcessId)
            return (KillOutcome.Refused, Libc.EPERM);
        int pidfd = Libc.PidfdOpen(pid);
        if (pidfd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == Libc.ESRCH ? (KillOutcome.Gone, errno) : (KillOutcome.Failed, errno);
        }
        try
        {
            // Read after the pidfd is open: a start that proves identity for the holder now also
            // proves it for the process the pidfd pinned earlier (it cannot have been replaced in between).
            if (!_starts.TryGet(pid, out long earliest, out long latest) || earliest > heldAtMonotonicNs)
                return (KillOutcome.Gone, Libc.ESRCH);
            if (latest > heldAtMonotonicNs)
                return (KillOutcome.Unverified, 0);
            if (Libc.PidfdSendSignal(pidfd, Libc.SIGKILL) == 0)
                return (KillOutcome.Killed, 0);
            int errno = Marshal.GetLastPInvokeError();
            return errno == Libc.ESRCH ? (KillOutcome.Gone, errno) : (KillOutcome.Failed, errno);
        }
        finally
        {
            Libc.Close(pidfd);
        }
    }

    public void Dispose() => _starts.Dispose();
}
