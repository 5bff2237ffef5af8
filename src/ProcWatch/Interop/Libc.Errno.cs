namespace ProcWatch.Interop;

internal static partial class Libc
{
    // errno values (asm-generic/errno-base.h, errno.h) that the code reacts to.
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int ENAMETOOLONG = 36;
    internal const int ESRCH = 3;
    internal const int EINTR = 4;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int EACCES = 13;
    internal const int EINVAL = 22;
    internal const int EPIPE = 32;
    internal const int ENOSPC = 28;
    internal const int ENOBUFS = 105;
    internal const int EPROTONOSUPPORT = 93;
    internal const int EAFNOSUPPORT = 97;
}
