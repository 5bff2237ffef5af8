using System.Runtime.InteropServices;

namespace ProcWatch.Cli;

/// <summary>
/// Standard output written with write(2) at the descriptor's shared offset. A FileStream on
/// fd 1 keeps a private position when stdout is a regular file, so its writes overwrite
/// whatever another writer of the same file put there (the `-- COMMAND` child, or the shell).
/// Errors surface as <see cref="IOException"/> whose HResult is the errno (EPIPE, ENOSPC).
/// </summary>
internal sealed partial class StdoutStream : Stream
{
    private const int EINTR = 4;

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
                nint n = WriteFd(1, start + done, (nuint)(buffer.Length - done));
                if (n >= 0)
                {
                    done += (int)n;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                    continue;
                throw new IOException($"write failed (errno {errno})", errno);
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteFd(int fd, byte* buffer, nuint count);
}
