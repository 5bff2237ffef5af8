using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    /// <summary>Unmaps the range's pages; a private file mapping's next touch maps the page cache's page again (a minor fault).</summary>
    internal const int MADV_DONTNEED = 4;

    [LibraryImport(Name, EntryPoint = "madvise", SetLastError = true)]
    internal static partial int Madvise(nuint addr, nuint length, int advice);
}
