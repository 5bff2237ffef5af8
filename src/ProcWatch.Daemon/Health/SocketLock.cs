using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ProcWatch.Daemon.Health;

/// <summary>
/// <c>PATH.lock</c> next to the status socket: an flock held for the daemon's life, with its
/// pid inside. The kernel releases it when the process dies, so a crash leaves no stale lock.
/// Plain libc calls: .NET's own FileShare locking would also stop us reading the holder's pid.
/// </summary>
internal sealed partial class SocketLock : IDisposable
{
    private const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000, LOCK_EX = 2, LOCK_NB = 4;
    private int _fd;

    private SocketLock(int fd) => _fd = fd;

    /// <summary>The lock, or null with the holder's pid (0 when unknown) when another process holds it.</summary>
    /// <exception cref="IOException">The lock file cannot be opened.</exception>
    public static unsafe SocketLock? TryTake(string lockPath, out int holder)
    {
        holder = 0;
        int fd = Open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0x1a4 /* 0644 */);
        if (fd < 0)
            throw new IOException($"cannot open {lockPath}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        if (Flock(fd, LOCK_EX | LOCK_NB) != 0)
        {
            byte* buffer = stackalloc byte[16];
            nint n = Pread(fd, buffer, 16, 0);
            if (n > 0)
                int.TryParse(Encoding.ASCII.GetString(buffer, (int)n).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out holder);
            Close(fd);
            return null;
        }
        byte[] pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        Ftruncate(fd, 0);
        fixed (byte* p = pid)
            Pwrite(fd, p, (nuint)pid.Length, 0);
        return new SocketLock(fd);
    }

    public void Dispose()
    {
        if (_fd >= 0)
            Close(_fd);
        _fd = -1;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint Pread(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static unsafe partial nint Pwrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
