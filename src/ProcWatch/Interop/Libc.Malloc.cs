using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    /// <summary>glibc's mallopt parameter: requests of at least this many bytes get their own mapping, returned on free.</summary>
    internal const int M_MMAP_THRESHOLD = -3;

    /// <summary>glibc: 1 on success, 0 on error.</summary>
    [LibraryImport(Name, EntryPoint = "mallopt")]
    internal static partial int MallOpt(int param, int value);
}
