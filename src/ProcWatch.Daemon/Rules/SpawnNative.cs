using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Rules;

/// <summary>
/// glibc's posix_spawn and the calls around it, for <see cref="ActionProcess"/>. The attribute
/// and file-action objects are opaque: they live in buffers larger than glibc's (336 and 80
/// bytes on x86-64) and are only touched through their init/destroy functions.
/// </summary>
internal static unsafe partial class SpawnNative
{
    internal const int AttrBytes = 1024;
    internal const int FileActionsBytes = 256;
    internal const int SigsetBytes = 128;
    internal const short POSIX_SPAWN_SETPGROUP = 0x02;
    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;

    [LibraryImport(Libc.Name, EntryPoint = "posix_spawnp")]
    internal static partial int PosixSpawnp(out int pid, byte* file, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Libc.Name, EntryPoint = "posix_spawnattr_init")]
    internal static partial int AttrInit(void* attr);

    [LibraryImport(Libc.Name, EntryPoint = "posix_spawnattr_destroy")]
    internal static partial int AttrDestroy(void* attr);

    [LibraryImport(Libc.Name, EntryPoint = "posix_spawnattr_setflags")]
    internal static partial int AttrSetFlags(void* attr, short flags);

    [LibraryImport(Libc.Name, EntryPoint = "posix_spawnattr_setpgroup")]
    internal static partial int AttrSetPgroup(void* attr, int pgroup);

    [LibraryImport(Libc.Name, EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static partial int AttrSetSigDefault(void* attr, void* sigset);

    [LibraryImport(Libc.Name, EntryPoint = "posix_spawnattr_setsigmask")]
    internal static partial int AttrSetSigMask(void* attr, void* sigset);

    [LibraryImport(Libc.Name, EntryPoint = "posix_spawn_file_actions_init")]
    internal static partial int FileActionsInit(void* actions);

    [LibraryImport(Libc.Name, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static partial int FileActionsDestroy(void* actions);

    [LibraryImport(Libc.Name, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static partial int FileActionsAddDup2(void* actions, int fd, int newFd);

    [LibraryImport(Libc.Name, EntryPoint = "sigfillset")]
    internal static partial int SigFillSet(void* set);

    [LibraryImport(Libc.Name, EntryPoint = "sigemptyset")]
    internal static partial int SigEmptySet(void* set);

    [LibraryImport(Libc.Name, EntryPoint = "pipe2", SetLastError = true)]
    internal static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Libc.Name, EntryPoint = "waitpid", SetLastError = true)]
    internal static partial int WaitPid(int pid, out int status, int options);
}
