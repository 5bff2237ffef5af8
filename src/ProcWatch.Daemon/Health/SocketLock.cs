using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ProcWatch.Files;

namespace ProcWatch.Daemon.Health;

/// <summary>
/// <c>PATH.lock</c> next to the status socket: an flock held for the daemon's life, with its
/// pid inside. The kernel releases it when the process dies, so a crash leaves no stale lock.
/// Plain libc calls: .NET's own FileShare locking would also stop us reading the holder's pid.
/// Opened through <see cref="SafeDirectory"/>: a link planted at the name is refused, never
/// truncated through; created 0600.
/// </summary>
internal sealed partial class SocketLock : IDisposable
{
    private const int LOCK_EX = 2, LOCK_NB = 4;
    private int _fd;

    private SocketLock(int fd) => _fd = fd;

    /// <summary>The lock, or null with the holder's pid (0 when unknown) when another process holds it.</summary>
    /// <exception cref="UnsafeFileException">The name is a link, someone else's file, ...</exception>
    /// <exception cref="IOException">The lock file cannot be opened.</exception>
    public static unsafe SocketLock? TryTake(SafeDirectory directory, string lockName, out int holder)
    {
        holder = 0;
        int fd = directory.OpenReadWrite(lockName);
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
