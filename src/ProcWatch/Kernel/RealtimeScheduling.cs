using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;

namespace ProcWatch.Kernel;

/// <summary>
/// Real-time scheduling for the receive threads (like forkstat -r): under CPU contention a
/// SCHED_FIFO receiver still drains the socket before the kernel's buffer overflows. Only
/// the threads that take events from the kernel switch (they call
/// <see cref="ApplyToCurrentThreadIfRequested"/> as they start); everything else, output
/// included, stays ordinary, so a slow consumer can never starve the machine.
/// </summary>
internal static class RealtimeScheduling
{
    private static volatile bool s_requested;

    /// <summary>Asks for SCHED_FIFO receive threads; checks the privilege now so the failure is one line at start.</summary>
    /// <exception cref="ProcWatchException">No privilege (needs root or CAP_SYS_NICE).</exception>
    public static void Request()
    {
        var current = new Libc.sched_param { sched_priority = 0 };
        if (!TrySetFifo(out int errno))
        {
            throw new ProcWatchException(new Failure(errno == Libc.EPERM ? FailureKind.NoPrivilege : FailureKind.SystemError, errno, FailureStep.RealtimeScheduling));
        }
        Libc.SchedSetScheduler(0, Libc.SCHED_OTHER, current); // the checking thread goes back to normal
        s_requested = true;
    }

    /// <summary>Called by a receive thread first thing; a failure leaves it at normal priority (the privilege was checked at start).</summary>
    internal static void ApplyToCurrentThreadIfRequested()
    {
        if (s_requested)
            TrySetFifo(out _);
    }

    private static bool TrySetFifo(out int errno)
    {
        var fifo = new Libc.sched_param { sched_priority = Libc.SchedGetPriorityMax(Libc.SCHED_FIFO) };
        bool ok = Libc.SchedSetScheduler(0, Libc.SCHED_FIFO, fifo) == 0;
        errno = ok ? 0 : Marshal.GetLastPInvokeError();
        return ok;
    }
}
