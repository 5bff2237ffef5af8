using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const uint EPOLLIN = 0x001;

    /// <summary>
    /// struct epoll_event is packed (12 bytes) on x86-64 and 16 bytes elsewhere; callers that
    /// only set <c>events</c> pass a zeroed 16-byte buffer, which suits both.
    /// </summary>
    internal const int EpollEventMaxSize = 16;

    [LibraryImport(Name, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    [LibraryImport(Name, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static unsafe partial int EpollCtl(int epfd, int op, int fd, void* @event);

    [LibraryImport(Name, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static unsafe partial int EpollWait(int epfd, void* events, int maxevents, int timeout);
}
