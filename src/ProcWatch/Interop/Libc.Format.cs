using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    /// <summary>Formats a C library's log line; <paramref name="ap"/> is the va_list its callback received, passed on as is.</summary>
    [LibraryImport(Name, EntryPoint = "vsnprintf")]
    internal static unsafe partial int VsnPrintf(byte* str, nuint size, byte* format, nint ap);
}
