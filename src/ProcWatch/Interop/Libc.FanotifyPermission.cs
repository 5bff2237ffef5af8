using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    // include/uapi/linux/fanotify.h: permission events (the deny gate, Kernel/Enforcement/ExecPermissionGate.cs).

    /// <summary>A group that may receive permission events, answered before the file's content is used.</summary>
    internal const uint FAN_CLASS_CONTENT = 0x4;

    /// <summary>fanotify_event_metadata.pid is the thread that opened the file (Linux 4.20), not its process.</summary>
    internal const uint FAN_REPORT_TID = 0x100;

    /// <summary>A file about to be opened for execution (execve, a script's interpreter, the ELF interpreter): the open waits for the answer (Linux 5.0).</summary>
    internal const ulong FAN_OPEN_EXEC_PERM = 0x40000;

    internal const uint FAN_ALLOW = 0x01;
    internal const uint FAN_DENY = 0x02;

    /// <summary>struct fanotify_response: written to the group's descriptor to answer one permission event.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct fanotify_response
    {
        public int fd;
        public uint response;
    }

    /// <summary>process_vm_readv(2): another process's memory, without stopping it (root, or ptrace rights over it).</summary>
    [LibraryImport(Name, EntryPoint = "process_vm_readv", SetLastError = true)]
    internal static unsafe partial nint ProcessVmReadv(int pid, iovec* localIov, nuint localCount, iovec* remoteIov, nuint remoteCount, nuint flags);
}
