using System.Runtime.InteropServices;
using ProcWatch.Files;
using ProcWatch.Interop;

namespace ProcWatch.Cli;

/// <summary>
/// A file descriptor written with write(2) at its shared offset: standard output, or a file
/// opened with O_APPEND. A FileStream keeps a private position and writes with pwrite(2), so
/// on a file that someone else also writes (the `-- COMMAND` child on our stdout, a second
/// procwatch on the same `-o` file, logrotate's copytruncate) it overwrites their bytes or
/// leaves holes. Errors surface as <see cref="IOException"/> whose HResult is the errno
/// (EPIPE, ENOSPC).
/// </summary>
internal sealed class DescriptorStream : Stream
{
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

    /// <summary>
    /// Opens (creating it rw------- if needed: events carry argv, with --env environments)
    /// <paramref name="path"/> for appending, as root never through a planted link or into
    /// someone else's file (<see cref="PrivateFile"/>).
    /// </summary>
    /// <exception cref="UnsafeFileException">The path is not safe to write.</exception>
    /// <exception cref="IOException">It cannot be opened; HResult is the errno.</exception>
    public static DescriptorStream Append(string path) =>
        new(PrivateFile.OpenAppend(path, DirectoryTrust.AnyOwner, allowStreams: true), ownsFd: true);

    /// <summary>Creates <paramref name="path"/> 0600, refusing anything that already has the name (O_EXCL).</summary>
    public static DescriptorStream CreateNew(string path) =>
        new(PrivateFile.CreateNew(path, DirectoryTrust.AnyOwner), ownsFd: true);

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
                nint n = Libc.Write(_fd, start + done, (nuint)(buffer.Length - done));
                if (n >= 0)
                {
                    done += (int)n;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
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
            Libc.Close(_fd);
        }
        base.Dispose(disposing);
    }
}
