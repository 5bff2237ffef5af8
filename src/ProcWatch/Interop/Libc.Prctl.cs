using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    /// <summary>prctl option: whether the process may dump core (0: no dump, /proc files owned by root).</summary>
    internal const int PR_SET_DUMPABLE = 4;

    [LibraryImport(Name, EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
