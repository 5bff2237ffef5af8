using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    // linux/inotify.h
    internal const uint IN_ACCESS = 0x00000001;
    internal const uint IN_OPEN = 0x00000020;
    internal const uint IN_Q_OVERFLOW = 0x00004000;
    internal const uint IN_IGNORED = 0x00008000;
    internal const uint IN_ONLYDIR = 0x01000000;
    internal const int IN_NONBLOCK = 0x800;
    internal const int IN_CLOEXEC = 0x80000;

    [LibraryImport(Name, EntryPoint = "inotify_init1", SetLastError = true)]
    internal static partial int InotifyInit1(int flags);

    [LibraryImport(Name, EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int InotifyAddWatch(int fd, string pathname, uint mask);
}
