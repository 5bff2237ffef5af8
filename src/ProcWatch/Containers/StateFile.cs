using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Interop;

namespace ProcWatch.Containers;

/// <summary>
/// Reads a runtime's state file as root, safely: the last component is opened with O_NOFOLLOW,
/// and only a regular file owned by root and no larger than the bound is read (the runtimes
/// write these files as root; anything else is not theirs).
/// </summary>
internal static class StateFile
{
    private const int O_NOFOLLOW = 0x20000;
    private const uint STATX_TYPE = 0x1, STATX_UID = 0x8, STATX_SIZE = 0x200;
    private const int StatxUidOffset = 20, StatxModeOffset = 28, StatxSizeOffset = 40;
    private const ushort S_IFMT = 0xF000, S_IFREG = 0x8000;

    public enum Result { Read, Missing, Refused }

    public static unsafe Result TryRead(string path, int maxBytes, out byte[] content, out string? reason)
    {
        content = [];
        reason = null;
        byte[] pathNul = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = pathNul)
            fd = Libc.OpenAt(Libc.AT_FDCWD, p, Libc.O_RDONLY | Libc.O_CLOEXEC | O_NOFOLLOW, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is 2 or 20) // ENOENT, ENOTDIR
                return Result.Missing;
            reason = $"cannot open {path}: {Marshal.GetPInvokeErrorMessage(errno)}";
            return Result.Refused;
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        byte* stx = stackalloc byte[Libc.StatxSize];
        if (Libc.Statx(fd, "", Libc.AT_EMPTY_PATH, STATX_TYPE | STATX_UID | STATX_SIZE, stx) != 0)
        {
            reason = $"cannot stat {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
            return Result.Refused;
        }
        uint uid = *(uint*)(stx + StatxUidOffset);
        ushort mode = *(ushort*)(stx + StatxModeOffset);
        ulong size = *(ulong*)(stx + StatxSizeOffset);
        if ((mode & S_IFMT) != S_IFREG || uid != 0)
        {
            reason = $"{path} is not a regular file owned by root";
            return Result.Refused;
        }
        if (size > (ulong)maxBytes)
        {
            reason = $"{path} is larger than {maxBytes} bytes";
            return Result.Refused;
        }
        content = new byte[(int)size];
        int total = 0;
        while (total < content.Length)
        {
            int n = RandomAccess.Read(handle, content.AsSpan(total), total);
            if (n <= 0)
                break;
            total += n;
        }
        if (total < content.Length)
            content = content[..total];
        return Result.Read;
    }
}
