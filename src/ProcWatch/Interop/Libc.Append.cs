using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    internal const int O_WRONLY = 1;
    internal const int O_CREAT = 0x40;
    internal const int O_APPEND = 0x400;
    internal const int SEEK_CUR = 1;
    internal const int SEEK_END = 2;

    [LibraryImport(Name, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, int mode);

    [LibraryImport(Name, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int Ftruncate(int fd, long length);
}
