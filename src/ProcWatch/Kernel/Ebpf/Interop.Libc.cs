using System.Runtime.InteropServices;

namespace ProcWatch.Kernel.Ebpf;

internal static partial class Interop
{
    internal static unsafe partial class Libc
    {
        internal const string LibraryName = "libc.so.6";

        /// <summary>Formats a libbpf log line; <paramref name="ap"/> is the callback's va_list, passed on as is.</summary>
        [LibraryImport(LibraryName)]
        internal static partial int vsnprintf(byte* str, nuint size, byte* format, nint ap);

        internal const int PROT_READ = 0x1;
        internal const int PROT_WRITE = 0x2;
        internal const int MAP_SHARED = 0x01;
        internal const int EPOLL_CLOEXEC = 0x80000;
        internal const int EPOLL_CTL_ADD = 1;
        internal const uint EPOLLIN = 0x001;
        internal const int EINTR = 4;
        internal const int CLOCK_THREAD_CPUTIME_ID = 3;
        internal static readonly nint MAP_FAILED = -1;

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial int munmap(void* addr, nuint length);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial int epoll_create1(int flags);

        /// <summary><paramref name="event"/> points at a struct epoll_event (packed, 12 bytes on x86-64; 16 elsewhere).</summary>
        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial int epoll_ctl(int epfd, int op, int fd, void* @event);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial int epoll_wait(int epfd, void* events, int maxevents, int timeout);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial int close(int fd);

        internal const int EFD_CLOEXEC = 0x80000;
        internal const int EFD_NONBLOCK = 0x800;

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial int eventfd(uint initval, int flags);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial nint write(int fd, void* buf, nuint count);

#pragma warning disable CS8981 // kernel name
        [StructLayout(LayoutKind.Sequential)]
        internal struct timespec
        {
            public long tv_sec;
            public long tv_nsec;
        }
#pragma warning restore CS8981

        [LibraryImport(LibraryName)]
        internal static partial int clock_gettime(int clockid, timespec* tp);

        /// <summary>CPU time of the calling thread.</summary>
        internal static TimeSpan CurrentThreadCpuTime()
        {
            timespec ts;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
            return TimeSpan.FromTicks(ts.tv_sec * TimeSpan.TicksPerSecond + ts.tv_nsec / 100);
        }
    }
}
