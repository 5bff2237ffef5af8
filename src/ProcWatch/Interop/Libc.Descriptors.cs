using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

/// <summary>Descriptor plumbing for `-- COMMAND` (its stdout pointed at ours for the fork) and the daemon's lock file.</summary>
internal static partial class Libc
{
    internal const int F_DUPFD_CLOEXEC = 1030;
    internal const int LOCK_EX = 2;
    internal const int LOCK_NB = 4;

    [LibraryImport(Name, EntryPoint = "dup2", SetLastError = true)]
    internal static partial int Dup2(int oldfd, int newfd);

    [LibraryImport(Name, EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport(Name, EntryPoint = "pread", SetLastError = true)]
    internal static unsafe partial nint Pread(int fd, byte* buf, nuint count, long offset);

    [LibraryImport(Name, EntryPoint = "pwrite", SetLastError = true)]
    internal static unsafe partial nint Pwrite(int fd, byte* buf, nuint count, long offset);
}
