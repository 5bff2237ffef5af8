using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>A file as the kernel knows it: the device (kernel encoding, MAJOR &lt;&lt; 20 | MINOR, as <c>i_sb->s_dev</c>) and the inode number.</summary>
internal readonly record struct FileIdentity(uint Device, ulong Inode)
{
    private const uint STATX_TYPE = 0x1;
    private const uint STATX_MODE = 0x2;
    private const uint STATX_NLINK = 0x4;
    private const int StatxNlinkOffset = 16;    // __u32 stx_nlink
    private const int StatxModeOffset = 28;     // __u16 stx_mode
    private const int StatxDevMajorOffset = 136; // __u32 stx_dev_major
    private const int StatxDevMinorOffset = 140;
    internal const uint S_IFMT = 0xF000;
    internal const uint S_IFDIR = 0x4000;
    internal const uint S_IFREG = 0x8000;

    /// <summary>The identity and file type of <paramref name="path"/> (symbolic links followed: the file exec would run).</summary>
    internal static unsafe bool TryStat(string path, bool followLinks, [NotNullWhen(true)] out FileIdentity? identity, out uint fileType)
    {
        byte* buf = stackalloc byte[Libc.StatxSize];
        identity = null;
        fileType = 0;
        if (Libc.Statx(Libc.AT_FDCWD, path, followLinks ? 0 : Libc.AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | Libc.STATX_INO, buf) != 0)
            return false;
        var span = new ReadOnlySpan<byte>(buf, Libc.StatxSize);
        uint major = BinaryPrimitives.ReadUInt32LittleEndian(span[StatxDevMajorOffset..]);
        uint minor = BinaryPrimitives.ReadUInt32LittleEndian(span[StatxDevMinorOffset..]);
        ulong ino = BinaryPrimitives.ReadUInt64LittleEndian(span[Libc.StatxInoOffset..]);
        fileType = BinaryPrimitives.ReadUInt16LittleEndian(span[StatxModeOffset..]) & S_IFMT;
        identity = new FileIdentity((major << 20) | minor, ino);
        return true;
    }

    /// <summary>
    /// statx of a NUL-terminated byte path relative to <paramref name="dirFd"/> (with
    /// <c>AT_EMPTY_PATH</c> and an empty path: the open file <paramref name="dirFd"/> itself),
    /// links followed unless <paramref name="flags"/> says otherwise; also the link count.
    /// No strings: the fanotify gate calls it for every exec it judges.
    /// </summary>
    internal static unsafe bool TryStatAt(int dirFd, byte* pathNul, int flags, out FileIdentity identity, out uint fileType, out uint nlink)
    {
        byte* buf = stackalloc byte[Libc.StatxSize];
        identity = default;
        fileType = nlink = 0;
        if (Libc.StatxBytes(dirFd, pathNul, flags, STATX_TYPE | STATX_MODE | STATX_NLINK | Libc.STATX_INO, buf) != 0)
            return false;
        var span = new ReadOnlySpan<byte>(buf, Libc.StatxSize);
        uint major = BinaryPrimitives.ReadUInt32LittleEndian(span[StatxDevMajorOffset..]);
        uint minor = BinaryPrimitives.ReadUInt32LittleEndian(span[StatxDevMinorOffset..]);
        identity = new FileIdentity((major << 20) | minor, BinaryPrimitives.ReadUInt64LittleEndian(span[Libc.StatxInoOffset..]));
        fileType = BinaryPrimitives.ReadUInt16LittleEndian(span[StatxModeOffset..]) & S_IFMT;
        nlink = BinaryPrimitives.ReadUInt32LittleEndian(span[StatxNlinkOffset..]);
        return true;
    }

    internal deny_key Key(uint generation) => new() { generation = generation, dev = Device, ino = Inode };

    public override string ToString() => $"{Device >> 20}:{Device & 0xfffff}/{Inode}";
}
