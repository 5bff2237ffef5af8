using System.Buffers;
using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>
/// The whole content of one /proc file, read with one open and as few reads as it takes
/// into the caller's stack buffer, or a pooled array when it does not fit. Dispose returns
/// the array. Failing to open or read is normal (the process vanished, or the file is not
/// readable) and is reported by <see cref="TryRead"/> returning false with the errno.
/// </summary>
internal ref struct ProcFile
{
    /// <summary>The largest file read (cmdline/environ are bounded by the kernel's argument limits).</summary>
    internal const int MaxBytes = 64 * 1024 * 1024;

    private byte[]? _rented;
    private Span<byte> _buffer;
    private int _length;

    public readonly ReadOnlySpan<byte> Content => _buffer[.._length];

    /// <summary>Reads the file at <paramref name="pathNul"/> (NUL-terminated) relative to <paramref name="dirFd"/> (or AT_FDCWD).</summary>
    public static unsafe bool TryRead(int dirFd, ReadOnlySpan<byte> pathNul, Span<byte> initial, out ProcFile file, out int errno)
    {
        file = default;
        file._buffer = initial;
        int fd;
        fixed (byte* p = pathNul)
        {
            do fd = Libc.OpenAt(dirFd, p, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            while (fd < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
        }
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }
        try
        {
            while (true)
            {
                if (file._length == file._buffer.Length && !file.Grow())
                    break; // at the limit: keep what fits
                nint n;
                fixed (byte* b = file._buffer)
                    n = Libc.Read(fd, b + file._length, (nuint)(file._buffer.Length - file._length));
                if (n > 0)
                {
                    file._length += (int)n;
                    // /proc files (seq_file, cmdline, environ) and regular files return all they
                    // have up to the size asked: a short read is the end, no need to read 0 bytes.
                    if (file._length < file._buffer.Length)
                        break;
                    continue;
                }
                if (n == 0)
                    break;
                errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                    continue;
                file.Dispose();
                file = default;
                return false;
            }
        }
        finally
        {
            Libc.Close(fd);
        }
        errno = 0;
        return true;
    }

    private bool Grow()
    {
        if (_buffer.Length >= MaxBytes)
            return false;
        int size = Math.Min(MaxBytes, Math.Max(4096, _buffer.Length * 4));
        byte[] bigger = ArrayPool<byte>.Shared.Rent(size);
        _buffer[.._length].CopyTo(bigger);
        if (_rented is not null)
            ArrayPool<byte>.Shared.Return(_rented);
        _rented = bigger;
        _buffer = bigger;
        return true;
    }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
        _buffer = default;
        _length = 0;
    }
}
