using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    /// <summary>pidfd_send_signal's flag (Linux 6.9): signal the process group the pidfd's process leads.</summary>
    internal const uint PIDFD_SIGNAL_PROCESS_GROUP = 1u << 2;
    private const long SYS_pidfd_send_signal = 424;
    private const long SYS_pidfd_open = 434;

    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a, long b, long c, long d);

    /// <summary>pidfd_open(2): a descriptor that refers to this one process, never to a later holder of its pid.</summary>
    internal static int PidfdOpen(int pid) => (int)Syscall(SYS_pidfd_open, pid, 0, 0, 0);

    /// <summary>pidfd_send_signal(2): ESRCH once the process has exited, even if its pid was reused.</summary>
    internal static int PidfdSendSignal(int pidfd, int signal, uint flags = 0) => (int)Syscall(SYS_pidfd_send_signal, pidfd, signal, 0, flags);
}
