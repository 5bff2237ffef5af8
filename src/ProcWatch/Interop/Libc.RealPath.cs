using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    [LibraryImport(Name, EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    /// <summary>The canonical absolute path (every symbolic link, "." and ".." resolved), or null.</summary>
    internal static string? RealPath(string path)
    {
        nint p = RealPathNative(path, 0);
        if (p == 0)
            return null;
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            Marshal.FreeHGlobal(p); // malloc'd by libc; FreeHGlobal is free() on Unix
        }
    }
}
