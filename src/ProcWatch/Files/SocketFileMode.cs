using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Files;

/// <summary>
/// chmod of a unix socket we just bound, without following a link: the name is opened
/// O_PATH|O_NOFOLLOW (an fd of the socket inode itself, or of a link, which is refused), checked,
/// and the mode set through /proc/self/fd (fchmod on a socket descriptor would change the
/// socket's own inode, not the file system's).
/// </summary>
internal static class SocketFileMode
{
    /// <exception cref="UnsafeFileException">The name is no longer our socket.</exception>
    /// <exception cref="IOException">The system refused.</exception>
    public static void Set(SafeDirectory directory, string name, int mode)
    {
        string full = directory.Combine(name);
        int fd = Libc.OpenAt(directory.Descriptor, name, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            throw new IOException($"cannot open {full}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        try
        {
            if (!FileStatus.TryOf(fd, out FileStatus st) || !st.IsSocket || st.Uid != Libc.GetEuid())
                throw new UnsafeFileException(full, "is no longer the socket procwatch bound");
            if (Libc.Chmod("/proc/self/fd/" + fd.ToString(System.Globalization.CultureInfo.InvariantCulture), mode) != 0)
                throw new IOException($"cannot chmod {full}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
