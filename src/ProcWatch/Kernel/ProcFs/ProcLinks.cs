using System.Buffers;
using System.Runtime.InteropServices;
using ProcWatch.Interop;
using ProcWatch.Text;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>The symbolic links of /proc/PID: the executable (exe) and the working directory (cwd).</summary>
internal static class ProcLinks
{
    private static ReadOnlySpan<byte> DeletedSuffix => " (deleted)"u8;

    /// <summary>
    /// The executable's path. The kernel appends " (deleted)" when the file was removed after
    /// exec: that suffix is stripped and reported in <paramref name="deleted"/>. False for
    /// kernel threads (no executable) and vanished processes.
    /// </summary>
    public static bool TryReadExecutable(int pid, out string path, out bool deleted)
    {
        Span<byte> link = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(link, pid, "exe"u8);
        return TryReadExecutable(Libc.AT_FDCWD, link, out path, out deleted);
    }

    public static bool TryReadWorkingDirectory(int pid, out string path)
    {
        Span<byte> link = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(link, pid, "cwd"u8);
        return TryReadLink(Libc.AT_FDCWD, link, out path, out _);
    }

    internal static bool TryReadExecutable(int dirFd, ReadOnlySpan<byte> linkNul, out string path, out bool deleted) =>
        TryReadLink(dirFd, linkNul, out path, out deleted);

    /// <summary>readlink with a stack buffer, then pooled ones when the target is longer.</summary>
    internal static unsafe bool TryReadLink(int dirFd, ReadOnlySpan<byte> linkNul, out string target, out bool deleted)
    {
        Span<byte> stack = stackalloc byte[1024];
        byte[]? rented = null;
        Span<byte> buffer = stack;
        try
        {
            while (true)
            {
                nint n;
                fixed (byte* l = linkNul)
                fixed (byte* b = buffer)
                    n = Libc.ReadLinkAt(dirFd, l, b, (nuint)buffer.Length);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Libc.EINTR)
                        continue;
                    target = string.Empty;
                    deleted = false;
                    return false;
                }
                if (n < buffer.Length || buffer.Length >= 1 << 20)
                {
                    ReadOnlySpan<byte> value = buffer[..(int)n];
                    deleted = value.EndsWith(DeletedSuffix);
                    if (deleted)
                        value = value[..^DeletedSuffix.Length];
                    target = ProcText.Decode(value);
                    return true;
                }
                // Possibly truncated: retry with a bigger buffer.
                int size = buffer.Length * 8;
                if (rented is not null)
                    ArrayPool<byte>.Shared.Return(rented);
                rented = ArrayPool<byte>.Shared.Rent(size);
                buffer = rented;
            }
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
