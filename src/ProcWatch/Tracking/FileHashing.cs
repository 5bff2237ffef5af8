using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Events;
using ProcWatch.Interop;

namespace ProcWatch.Tracking;

/// <summary>
/// Opening a file that ran and hashing it, checked against the version the kernel saw: the
/// pipeline (inline hashes) and the worker (queued ones) share it. Root opens paths named by
/// other users here, so every open is O_NONBLOCK (a FIFO swapped in cannot hang it) and
/// O_NOCTTY, and only a regular file is read.
/// </summary>
internal static class FileHashing
{

    /// <summary>Opens <paramref name="path"/> read-only; null when it does not open or is not a regular file.</summary>
    public static SafeFileHandle? OpenRegular(string path, out ExecutableVersion version)
    {
        version = default;
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NONBLOCK | Libc.O_NOCTTY, 0);
        if (fd < 0)
            return null;
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (!FileVersion.TryRead(fd, out version, out bool regular) || !regular)
        {
            handle.Dispose();
            return null;
        }
        return handle;
    }

    /// <summary>
    /// Opens <paramref name="path"/> when it is still the file of <paramref name="version"/>;
    /// else null with <paramref name="status"/> "changed" (that file, rewritten since) or left
    /// as it was (another file, or none).
    /// </summary>
    /// <param name="sameInode">The path names the very inode that ran (/proc/PID/exe): its ctime may have moved since (an unlink does), which is not a new version.</param>
    public static SafeFileHandle? OpenVersion(string path, ExecutableVersion version, ref string? status, bool sameInode = false)
    {
        SafeFileHandle? handle = OpenRegular(path, out ExecutableVersion found);
        if (handle is null)
            return null;
        if (!SameFile(found, version))
        {
            handle.Dispose();
            return null;
        }
        if (!SameVersion(found, version, sameInode))
        {
            status = HashStatuses.Changed;
            handle.Dispose();
            return null;
        }
        return handle;
    }

    /// <summary>SHA-256 of the open file when it is still <paramref name="version"/> after the read; else null with "changed".</summary>
    public static string? Hash(SafeFileHandle handle, ExecutableVersion version, byte[] buffer, out string? status, bool sameInode = false)
    {
        status = null;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long offset = 0;
        while (offset <= version.Size)
        {
            int n = RandomAccess.Read(handle, buffer, offset);
            if (n <= 0)
                break;
            sha.AppendData(buffer, 0, n);
            offset += n;
        }
        if (offset != version.Size || !FileVersion.TryRead((int)handle.DangerousGetHandle(), out ExecutableVersion after, out _) || !SameVersion(after, version, sameInode))
        {
            status = HashStatuses.Changed; // written while we read it
            return null;
        }
        Span<byte> digest = stackalloc byte[32];
        sha.GetHashAndReset(digest);
        return Convert.ToHexStringLower(digest);
    }

    public static bool SameFile(ExecutableVersion a, ExecutableVersion b) => a.Device == b.Device && a.Inode == b.Inode;

    // Times 0: a kernel without inode times in its BTF; size and inode then decide.
    // ignoreCtime: the very inode that ran, whose ctime an unlink or chmod since moved; its content is the same while size and mtime are.
    public static bool SameVersion(ExecutableVersion found, ExecutableVersion v, bool ignoreCtime = false) =>
        SameFile(found, v) && found.Size == v.Size
        && (v.MtimeNs == 0 || found.MtimeNs == v.MtimeNs) && (ignoreCtime || v.CtimeNs == 0 || found.CtimeNs == v.CtimeNs);
}
