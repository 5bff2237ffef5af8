using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    /// <summary>statx with a NUL-terminated path already in bytes (no string marshalling on hot paths).</summary>
    [LibraryImport(Name, EntryPoint = "statx", SetLastError = true)]
    internal static unsafe partial int StatxBytes(int dirfd, byte* pathname, int flags, uint mask, byte* statxbuf);
}
