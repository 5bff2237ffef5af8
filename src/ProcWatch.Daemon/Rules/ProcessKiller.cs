using System.Runtime.InteropServices;
using ProcWatch.Interop;
using ProcWatch.Kernel;
using ProcWatch.Kernel.Pinning;

namespace ProcWatch.Rules;

/// <summary>How a kill ended.</summary>
internal enum KillOutcome
{
    /// <summary>SIGKILL was delivered to the process the event was about.</summary>
    Killed,
    /// <summary>The process had already exited (its pid is free, or now another process's): nothing was signalled.</summary>
    Gone,
    /// <summary>
    /// The process now holding the pid cannot be proven to be the event's (a procfs event whose
    /// pidfd was not kept, or whose process no longer runs the event's executable): nothing was signalled.
    /// </summary>
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
        return KillByStartTime(pid, heldAtMonotonicNs);
    }

    /// <summary>
    /// Kills the process <paramref name="e"/> is about. A procfs event knows its start only to the
    /// clock tick, so only its pidfd (<see cref="ProcessEvent.Pin"/>) can identify it, and the
    /// executable read through it must still be the event's; without one nothing is signalled.
    /// Connector and eBPF events carry a kernel time to the nanosecond: <see cref="Kill(int, long)"/>.
    /// </summary>
    public (KillOutcome Outcome, int Errno) Kill(ProcessEvent e)
    {
        if (e.Pid <= 1 || e.Pid == Environment.ProcessId)
            return (KillOutcome.Refused, Libc.EPERM);
        if (e.Origin != EventOrigin.Procfs)
            return KillByStartTime(e.Pid, e.KernelTimeNs);
        if (e.Pin is not { } pin)
        {
            // No pidfd was kept (evicted from its pool, or not confirmed): never signal by pid.
            return Libc.Kill(e.Pid, 0) != 0 && Marshal.GetLastPInvokeError() == Libc.ESRCH
                ? (KillOutcome.Gone, Libc.ESRCH)
                : (KillOutcome.Unverified, 0);
        }
        (PinnedSignalOutcome outcome, int errno) = pin.Signal(Libc.SIGKILL, e.Process?.Executable, e.Process?.Name);
        return outcome switch
        {
            PinnedSignalOutcome.Signalled => (KillOutcome.Killed, 0),
            PinnedSignalOutcome.Gone => (KillOutcome.Gone, errno),
            PinnedSignalOutcome.NotCertain => (KillOutcome.Unverified, 0),
            _ => (KillOutcome.Failed, errno),
        };
    }

    private const int StraddleRereads = 3;

    private (KillOutcome Outcome, int Errno) KillByStartTime(int pid, long heldAtMonotonicNs)
    {
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
            long earliest = 0, latest = 0;
            // The reading's bounds are two clock reads around the kernel's answer; a reader
            // preempted between them (a loaded host) straddles the event time and proves
            // nothing either way. Read again a few times before calling it unverified.
            for (int reading = 0; reading < StraddleRereads; reading++)
            {
                if (!_starts.TryGet(pid, out earliest, out latest) || earliest > heldAtMonotonicNs)
                    return (KillOutcome.Gone, Libc.ESRCH);
                if (latest <= heldAtMonotonicNs)
                    break;
            }
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
