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
    }
}
