using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    internal const int CLOCK_REALTIME = 0;
    internal const int CLOCK_MONOTONIC = 1;
    internal const int CLOCK_THREAD_CPUTIME_ID = 3;

    [StructLayout(LayoutKind.Sequential)]
    internal struct timespec
    {
        public long tv_sec;
        public long tv_nsec;
    }

    [LibraryImport(Name, EntryPoint = "clock_gettime")]
    internal static partial int ClockGetTime(int clockId, out timespec tp);

    /// <summary>Relative sleep (flags 0); returns an errno (EINTR: a signal cut it short), not -1.</summary>
    [LibraryImport(Name, EntryPoint = "clock_nanosleep")]
    internal static partial int ClockNanoSleep(int clockId, int flags, in timespec request, IntPtr remain);

    [LibraryImport(Name, EntryPoint = "geteuid")]
    internal static partial uint GetEuid();

    [LibraryImport(Name, EntryPoint = "getpid")]
    internal static partial int GetPid();
}
