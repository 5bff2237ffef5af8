using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    // include/uapi/linux/fanotify.h
    internal const uint FAN_CLASS_NOTIF = 0x0;
    internal const uint FAN_CLOEXEC = 0x1;
    internal const uint FAN_NONBLOCK = 0x2;
    internal const uint FAN_UNLIMITED_QUEUE = 0x10;
    internal const uint FAN_MARK_ADD = 0x1;
    internal const uint FAN_MARK_REMOVE = 0x2;
    internal const uint FAN_MARK_IGNORED_MASK = 0x20;
    internal const uint FAN_MARK_FLUSH = 0x80;
    internal const uint FAN_MARK_FILESYSTEM = 0x100;
    /// <summary>An inode mark that does not pin its inode: it goes when the kernel evicts the inode (Linux 5.19+).</summary>
    internal const uint FAN_MARK_EVICTABLE = 0x200;
    /// <summary>A file opened to be executed (execve, the ELF interpreter): a notification, never a permission event.</summary>
    internal const ulong FAN_OPEN_EXEC = 0x1000;
    internal const ulong FAN_Q_OVERFLOW = 0x4000;
    internal const int O_LARGEFILE = 0x8000;

    /// <summary>struct fanotify_event_metadata: event_len, vers, reserved, metadata_len, mask, fd, pid (24 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct fanotify_event_metadata
    {
        public uint event_len;
        public byte vers;
        public byte reserved;
        public ushort metadata_len;
        public ulong mask;
        public int fd;
        public int pid;
    }

    [LibraryImport(Name, EntryPoint = "fanotify_init", SetLastError = true)]
    internal static partial int FanotifyInit(uint flags, uint eventFileFlags);

    [LibraryImport(Name, EntryPoint = "fanotify_mark", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int FanotifyMark(int fanotifyFd, uint flags, ulong mask, int dirfd, string? pathname);
}
