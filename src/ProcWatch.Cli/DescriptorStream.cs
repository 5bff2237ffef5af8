using System.Runtime.InteropServices;

namespace ProcWatch.Cli;

/// <summary>
/// A file descriptor written with write(2) at its shared offset: standard output, or a file
/// opened with O_APPEND. A FileStream keeps a private position and writes with pwrite(2), so
/// on a file that someone else also writes (the `-- COMMAND` child on our stdout, a second
/// procwatch on the same `-o` file, logrotate's copytruncate) it overwrites their bytes or
/// leaves holes. Errors surface as <see cref="IOException"/> whose HResult is the errno
/// (EPIPE, ENOSPC).
/// </summary>
internal sealed partial class DescriptorStream : Stream
{
    private const int EINTR = 4;
    private const int O_WRONLY = 0x1;
    private const int O_CREAT = 0x40;
    private const int O_APPEND = 0x400;
    private const int O_CLOEXEC = 0x80000;

    /// <summary>rw-r-----: events carry argv (and with --env, environments), which may hold secrets.</summary>
    private const uint NewFileMode = 0b110_100_000;

    private readonly int _fd;
    private bool _ownsFd;

    private DescriptorStream(int fd, bool ownsFd)
    {
        _fd = fd;
        _ownsFd = ownsFd;
    }

    public static DescriptorStream Stdout() => new(1, ownsFd: false);

    /// <summary>The file descriptor written to.</summary>
    public int Fd => _fd;

    /// <summary>Opens (creating it rw-r----- if needed) <paramref name="path"/> for appending.</summary>
    /// <exception cref="IOException">It cannot be opened; the message is strerror's.</exception>
    public static DescriptorStream Append(string path)
    {
        int fd = Open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, NewFileMode);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException(Marshal.GetPInvokeErrorMessage(errno), errno);
        }
        return new DescriptorStream(fd, ownsFd: true);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint n = WriteFd(_fd, start + done, (nuint)(buffer.Length - done));
                if (n >= 0)
                {
                    done += (int)n;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                    continue;
                throw new IOException(Marshal.GetPInvokeErrorMessage(errno), errno);
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (_ownsFd)
        {
            _ownsFd = false; // closed once, however often disposed
            CloseFd(_fd);
        }
        base.Dispose(disposing);
    }

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteFd(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseFd(int fd);
}
