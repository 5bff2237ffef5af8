using ProcWatch.Interop;
using ProcWatch.Kernel;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Containers;

/// <summary>
/// Whether an exec is an entry into a running container (<c>docker exec</c>, <c>podman exec</c>,
/// <c>kubectl exec</c>, <c>nsenter</c>). All of them end in setns(2) into the container's pid
/// namespace followed by a fork (a process cannot change its own pid namespace): the child is
/// then in another pid namespace than its parent. So is a container's first process, but
/// that one is pid 1 of its new namespace (runc, <c>unshare --fork --pid</c>); an entry is not.
/// On the host (the initial pid namespace) nothing is an entry, which costs one statx per exec.
/// </summary>
internal static class ContainerEntry
{
    /// <summary>The inode of the pid namespace a process is in (/proc/PID/ns/pid), 0 when it cannot be read (gone).</summary>
    public static unsafe ulong PidNamespaceOf(int pid)
    {
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(path, pid, "ns/pid"u8);
        byte* stx = stackalloc byte[Libc.StatxSize];
        fixed (byte* p = path)
        {
            if (Libc.StatxBytes(Libc.AT_FDCWD, p, 0, Libc.STATX_INO, stx) != 0)
                return 0;
        }
        return *(ulong*)(stx + Libc.StatxInoOffset);
    }

    /// <summary>
    /// True when the process (in pid namespace <paramref name="ns"/>) entered it from its parent's
    /// (<paramref name="parentNs"/>): different namespaces, not the host's, and not its pid 1.
    /// </summary>
    public static bool IsEntry(int pid, ulong ns, ulong parentNs)
    {
        if (ns == 0 || parentNs == 0 || ns == parentNs || ns == Namespaces.PROC_PID_INIT_INO)
            return false;
        return InnermostPid(pid) is { } inner && inner != 1;
    }

    /// <summary>The process's pid in its own pid namespace (the last NSpid of /proc/PID/status); null when gone.</summary>
    private static int? InnermostPid(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("NSpid:", StringComparison.Ordinal))
                    continue;
                int space = line.LastIndexOfAny([' ', '\t']);
                return int.TryParse(line.AsSpan(space + 1), out int inner) ? inner : null;
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}
