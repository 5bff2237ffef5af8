using ProcWatch.Interop;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), for the capture benchmark.</summary>
internal static class ThreadCpuClock
{
    internal static TimeSpan Now()
    {
        Libc.ClockGetTime(Libc.CLOCK_THREAD_CPUTIME_ID, out Libc.timespec t);
        return TimeSpan.FromTicks(t.tv_sec * TimeSpan.TicksPerSecond + t.tv_nsec / 100);
    }
}
