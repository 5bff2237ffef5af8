using System.Buffers.Binary;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>
/// The cgroup v2 hierarchy as mounted here (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a
/// hybrid host), to check that a cgroup path names the cgroup whose id eBPF reported: on v2
/// the id is the inode number of the cgroup's directory.
/// </summary>
internal static class Cgroup2Mount
{
    private static readonly Lazy<string?> MountPoint = new(Find);

    /// <summary>Where cgroup2 is mounted; null when it is not (or the mount point needs unescaping).</summary>
    public static string? Path => MountPoint.Value;

    /// <summary>True when <paramref name="cgroupPath"/> (as in /proc/PID/cgroup's "0::" line) is the cgroup with this id now.</summary>
    public static unsafe bool Names(string cgroupPath, ulong cgroupId)
    {
        if (Path is not { } mount || !cgroupPath.StartsWith('/'))
            return false;
        byte* buffer = stackalloc byte[Libc.StatxSize];
        if (Libc.Statx(Libc.AT_FDCWD, mount + cgroupPath, 0, Libc.STATX_INO, buffer) != 0)
            return false; // gone (a " (deleted)" path), or not visible from here
        return BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(buffer + Libc.StatxInoOffset, sizeof(ulong))) == cgroupId;
    }

    private static string? Find()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
                int separator = line.IndexOf(" - ", StringComparison.Ordinal);
                if (separator < 0 || !line.AsSpan(separator + 3).StartsWith("cgroup2 "))
                    continue;
                string[] fields = line[..separator].Split(' ');
                if (fields.Length < 5 || fields[3] != "/" || fields[4].Contains('\\', StringComparison.Ordinal))
                    continue;
                return fields[4];
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}
