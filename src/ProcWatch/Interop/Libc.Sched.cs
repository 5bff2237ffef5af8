using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    internal const int SCHED_OTHER = 0;
    internal const int SCHED_FIFO = 1;

    [StructLayout(LayoutKind.Sequential)]
    internal struct sched_param
    {
        public int sched_priority;
    }

    /// <summary>pid 0 = the calling thread (Linux scheduling policy is per thread; new threads inherit it).</summary>
    [LibraryImport(Name, EntryPoint = "sched_setscheduler", SetLastError = true)]
    internal static partial int SchedSetScheduler(int pid, int policy, in sched_param param);

    [LibraryImport(Name, EntryPoint = "sched_get_priority_max", SetLastError = true)]
    internal static partial int SchedGetPriorityMax(int policy);
}
