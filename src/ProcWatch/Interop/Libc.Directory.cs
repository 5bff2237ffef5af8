using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    internal const int SEEK_SET = 0;

    /// <summary>Byte offsets in <c>struct linux_dirent64</c>: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.</summary>
    internal const int dirent64_d_reclen = 16;
    internal const int dirent64_d_type = 18;
    internal const int dirent64_d_name = 19;
    internal const byte DT_DIR = 4;

    [LibraryImport(Name, EntryPoint = "getdents64", SetLastError = true)]
    internal static unsafe partial nint GetDents64(int fd, byte* dirp, nuint count);

    [LibraryImport(Name, EntryPoint = "lseek", SetLastError = true)]
    internal static partial long LSeek(int fd, long offset, int whence);
}
