using System.Globalization;
using System.Text;
using ProcWatch.Files;
using ProcWatch.Interop;

namespace ProcWatch.Daemon.Health;

/// <summary>
/// <c>PATH.lock</c> next to the status socket: an flock held for the daemon's life, with its
/// pid inside. The kernel releases it when the process dies, so a crash leaves no stale lock.
/// Plain libc calls: .NET's own FileShare locking would also stop us reading the holder's pid.
/// Opened through <see cref="SafeDirectory"/>: a link planted at the name is refused, never
/// truncated through; created 0600.
/// </summary>
internal sealed class SocketLock : IDisposable
{
    private int _fd;

    private SocketLock(int fd) => _fd = fd;

    /// <summary>The lock, or null with the holder's pid (0 when unknown) when another process holds it.</summary>
    /// <exception cref="UnsafeFileException">The name is a link, someone else's file, ...</exception>
    /// <exception cref="IOException">The lock file cannot be opened.</exception>
    public static unsafe SocketLock? TryTake(SafeDirectory directory, string lockName, out int holder)
    {
        holder = 0;
        int fd = directory.OpenReadWrite(lockName);
        if (Libc.Flock(fd, Libc.LOCK_EX | Libc.LOCK_NB) != 0)
        {
            byte* buffer = stackalloc byte[16];
            nint n = Libc.Pread(fd, buffer, 16, 0);
            if (n > 0)
                int.TryParse(Encoding.ASCII.GetString(buffer, (int)n).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out holder);
            Libc.Close(fd);
            return null;
        }
        byte[] pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        Libc.Ftruncate(fd, 0);
        fixed (byte* p = pid)
            Libc.Pwrite(fd, p, (nuint)pid.Length, 0);
        return new SocketLock(fd);
    }

    public void Dispose()
    {
        if (_fd >= 0)
            Libc.Close(_fd);
        _fd = -1;
    }
}
