using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

/// <summary>
/// What <see cref="Files.SafeDirectory"/> needs to create and open files as root without
/// being redirected: *at calls relative to a held directory descriptor, O_NOFOLLOW, statx
/// on the descriptor (the kernel's layout, the same on every architecture).
/// </summary>
internal static partial class Libc
{
    internal const int O_RDWR = 2;
    internal const int O_EXCL = 0x80;
    internal const int O_NOCTTY = 0x100;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_NOFOLLOW = 0x20000;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_EMPTY_PATH = 0x1000;
    internal const int AT_NO_AUTOMOUNT = 0x800;
    internal const int AT_STATX_DONT_SYNC = 0x4000; // what the inode holds: no round trip to a remote or FUSE server
    internal const uint STATX_BASIC_STATS = 0x7ff;

    internal const int EEXIST = 17;
    internal const int ENOTDIR = 20;
    internal const int ELOOP = 40;
    internal const int ENXIO = 6;

    /// <summary>Offsets in struct statx (include/uapi/linux/stat.h).</summary>
    internal const int statx_stx_nlink = 16, statx_stx_uid = 20, statx_stx_mode = 28;

    internal const int S_IFMT = 0xf000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFLNK = 0xa000, S_IFSOCK = 0xc000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;
    internal const int F_GETFL = 3, F_SETFL = 4;
    internal const int S_ISVTX = 0x200;

    [LibraryImport(Name, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OpenAt(int dirfd, string pathname, int flags, int mode);

    [LibraryImport(Name, EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MkdirAt(int dirfd, string pathname, int mode);

    [LibraryImport(Name, EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int RenameAt(int olddirfd, string oldpath, int newdirfd, string newpath);

    [LibraryImport(Name, EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int UnlinkAt(int dirfd, string pathname, int flags);

    [LibraryImport(Name, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int Fsync(int fd);

    [LibraryImport(Name, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport(Name, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Chmod(string path, int mode);
}
