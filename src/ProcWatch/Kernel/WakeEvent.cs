using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;

namespace ProcWatch.Kernel;

/// <summary>
/// An eventfd a receive thread polls next to its real descriptor, so <see cref="Signal"/>
/// (from Dispose) wakes it at once instead of after a poll timeout. Shared by the sources
/// that block in poll (connector, procfs scanner).
/// </summary>
internal sealed class WakeEvent : IDisposable
{
    private int _fd;

    private WakeEvent(int fd) => _fd = fd;

    /// <summary>The descriptor to poll for POLLIN.</summary>
    public int Fd => _fd;

    /// <exception cref="ProcWatchException">eventfd failed.</exception>
    public static WakeEvent Create()
    {
        int fd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (fd < 0)
            throw new ProcWatchException(new Failure(FailureKind.SystemError, Marshal.GetLastPInvokeError(), FailureStep.CreateEventFd));
        return new WakeEvent(fd);
    }

    public unsafe void Signal()
    {
        ulong one = 1;
        if (_fd >= 0)
            Libc.Write(_fd, (byte*)&one, sizeof(ulong));
    }

    public void Dispose()
    {
        if (_fd >= 0)
            Libc.Close(_fd);
        _fd = -1;
    }
}
