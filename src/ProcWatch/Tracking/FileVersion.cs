using ProcWatch.Events;
using ProcWatch.Interop;

namespace ProcWatch.Tracking;

/// <summary>An open file's <see cref="ExecutableVersion"/> from statx, in the kernel's encoding, to compare with the exec record's.</summary>
internal static class FileVersion
{
    private const uint STATX_BASIC_STATS = 0x7ff;

    // Offsets in struct statx (include/uapi/linux/stat.h).
    private const int ModeOffset = 28, InoOffset = 32, SizeOffset = 40, CtimeOffset = 96, MtimeOffset = 112, DevMajorOffset = 136, DevMinorOffset = 140;

    public static bool TryRead(int fd, out ExecutableVersion version, out bool regular) =>
        TryRead(fd, "", Libc.AT_EMPTY_PATH, out version, out regular);

    /// <summary>The version of the file <paramref name="path"/> names (links followed), without opening it: one system call.</summary>
    public static bool TryRead(string path, out ExecutableVersion version, out bool regular) =>
        TryRead(Libc.AT_FDCWD, path, 0, out version, out regular);

    private static unsafe bool TryRead(int dirfd, string path, int flags, out ExecutableVersion version, out bool regular)
    {
        byte* buf = stackalloc byte[Libc.StatxSize];
        version = default;
        regular = false;
        if (Libc.Statx(dirfd, path, flags, STATX_BASIC_STATS, buf) != 0)
            return false;
        ushort mode = *(ushort*)(buf + ModeOffset);
        regular = (mode & 0xf000) == 0x8000;
        uint device = (*(uint*)(buf + DevMajorOffset) << 20) | (*(uint*)(buf + DevMinorOffset) & 0xfffff);
        version = new ExecutableVersion(device, *(ulong*)(buf + InoOffset), (long)*(ulong*)(buf + SizeOffset), TimeNs(buf + MtimeOffset), TimeNs(buf + CtimeOffset));
        return true;
    }

    // struct statx_timestamp { __s64 tv_sec; __u32 tv_nsec; __s32 reserved; }
    private static unsafe long TimeNs(byte* ts) => *(long*)ts * 1_000_000_000L + *(uint*)(ts + 8);
}
