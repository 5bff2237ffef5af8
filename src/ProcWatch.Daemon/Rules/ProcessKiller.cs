using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Rules;

/// <summary>The <c>kill</c> action: SIGKILL, never to pid ≤ 1 or to this process.</summary>
public static class ProcessKiller
{
    /// <summary>Returns 0 when the signal was sent, else the errno (ESRCH: already gone).</summary>
    public static int Kill(int pid)
    {
        if (pid <= 1 || pid == Environment.ProcessId)
            return Libc.EPERM;
        return Libc.Kill(pid, Libc.SIGKILL) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }
}
