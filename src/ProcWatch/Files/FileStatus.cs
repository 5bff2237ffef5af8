using ProcWatch.Interop;

namespace ProcWatch.Files;

/// <summary>What statx says about an open descriptor (or a name, not following it): type, owner, mode, links.</summary>
internal readonly record struct FileStatus(int Type, uint Uid, int Mode, uint Links)
{
    public bool IsRegular => Type == Libc.S_IFREG;
    public bool IsDirectory => Type == Libc.S_IFDIR;
    public bool IsSymbolicLink => Type == Libc.S_IFLNK;
    public bool IsSocket => Type == Libc.S_IFSOCK;
    public bool IsCharacterDevice => Type == Libc.S_IFCHR;
    public bool IsFifo => Type == Libc.S_IFIFO;

    /// <summary>Writable by group or others (the bits an attacker in them would use).</summary>
    public bool WritableByOthers => (Mode & 0b000_010_010 /* 022 */) != 0;

    public bool Sticky => (Mode & Libc.S_ISVTX) != 0;

    /// <summary>The permission bits as ls -l's octal (0640).</summary>
    public string OctalMode => "0" + Convert.ToString(Mode & 0xfff, 8);

    /// <summary>statx of an open descriptor (fstat).</summary>
    public static bool TryOf(int fd, out FileStatus status) => TryAt(fd, "", Libc.AT_EMPTY_PATH, out status);

    /// <summary>statx of <paramref name="name"/> in <paramref name="dirFd"/>, the link itself when it is one (lstat).</summary>
    public static bool TryOfName(int dirFd, string name, out FileStatus status) => TryAt(dirFd, name, Libc.AT_SYMLINK_NOFOLLOW, out status);

    private static unsafe bool TryAt(int dirFd, string name, int flags, out FileStatus status)
    {
        byte* buf = stackalloc byte[Libc.StatxSize];
        status = default;
        if (Libc.Statx(dirFd, name, flags, Libc.STATX_BASIC_STATS, buf) != 0)
            return false;
        int mode = *(ushort*)(buf + Libc.statx_stx_mode);
        status = new FileStatus(mode & Libc.S_IFMT, *(uint*)(buf + Libc.statx_stx_uid), mode & 0xfff, *(uint*)(buf + Libc.statx_stx_nlink));
        return true;
    }
}
