using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>
/// An open /proc/PID directory. Every file read through it belongs to the same process
/// instance: once that process is reaped, reads fail (ENOENT/ESRCH) even if the pid has been
/// reused, so stat's start time read through it vouches for everything else read through it.
/// A struct over the raw descriptor (O_PATH, no allocation); dispose it once.
/// </summary>
internal struct ProcessDirectory : IDisposable
{
    private int _fd;
    private bool _open; // fd 0 is a valid descriptor when stdin is closed

    private ProcessDirectory(int pid, int fd)
    {
        Pid = pid;
        _fd = fd;
        _open = true;
    }

    public int Pid { get; }

    public readonly bool IsOpen => _open;

    public static unsafe bool TryOpen(int pid, out ProcessDirectory directory)
    {
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(path, pid, default);
        int fd;
        fixed (byte* p = path)
        {
            do fd = Libc.OpenAt(Libc.AT_FDCWD, p, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
            while (fd < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
        }
        directory = fd >= 0 ? new ProcessDirectory(pid, fd) : default;
        return fd >= 0;
    }

    public readonly bool TryReadStat(out ProcStat stat) => ParsedProcFile.TryRead(_fd, "stat\0"u8, out stat);

    public readonly bool TryReadStatus(out ProcStatus status) => ParsedProcFile.TryRead(_fd, "status\0"u8, out status);

    public readonly bool TryReadArgs(out string[] args) => ProcCmdline.TryRead(_fd, "cmdline\0"u8, out args);

    public readonly bool TryReadEnvironment(out string[] environment) => ProcCmdline.TryRead(_fd, "environ\0"u8, out environment);

    public readonly bool TryReadExecutable(out string path, out bool deleted) => ProcLinks.TryReadExecutable(_fd, "exe\0"u8, out path, out deleted);

    public readonly bool TryReadWorkingDirectory(out string path) => ProcLinks.TryReadLink(_fd, "cwd\0"u8, out path, out _);

    public readonly bool TryReadComm(out string comm) => ProcSmallFiles.TryReadComm(_fd, "comm\0"u8, out comm);

    public readonly bool TryReadLoginUid(out uint? loginUid) => ProcSmallFiles.TryReadLoginUid(_fd, "loginuid\0"u8, out loginUid);

    /// <param name="unified">True when <paramref name="path"/> is the cgroup v2 path.</param>
    public readonly bool TryReadCgroup(out string path, out bool unified) => ProcCgroup.TryRead(_fd, "cgroup\0"u8, out path, out unified);

    public void Dispose()
    {
        if (_open)
        {
            Libc.Close(_fd);
            _open = false;
            _fd = -1;
        }
    }
}
