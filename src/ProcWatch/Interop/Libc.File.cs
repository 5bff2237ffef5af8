using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    internal const int AT_FDCWD = -100;
    internal const int O_RDONLY = 0;
    internal const int O_DIRECTORY = 0x10000;
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_PATH = 0x200000;
    internal const int _SC_CLK_TCK = 2;
    internal const int CLOCK_BOOTTIME = 7;

    [LibraryImport(Name, EntryPoint = "openat", SetLastError = true)]
    internal static unsafe partial int OpenAt(int dirfd, byte* pathname, int flags, int mode);

    [LibraryImport(Name, EntryPoint = "read", SetLastError = true)]
    internal static unsafe partial nint Read(int fd, byte* buf, nuint count);

    [LibraryImport(Name, EntryPoint = "readlinkat", SetLastError = true)]
    internal static unsafe partial nint ReadLinkAt(int dirfd, byte* pathname, byte* buf, nuint bufsiz);

    internal const uint STATX_INO = 0x100;

    /// <summary>Offset of stx_ino (__u64) in struct statx; the struct is 256 bytes.</summary>
    internal const int StatxInoOffset = 32;
    internal const int StatxSize = 256;

    [LibraryImport(Name, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int Statx(int dirfd, string pathname, int flags, uint mask, byte* statxbuf);

    [LibraryImport(Name, EntryPoint = "sysconf", SetLastError = true)]
    internal static partial long SysConf(int name);
}
