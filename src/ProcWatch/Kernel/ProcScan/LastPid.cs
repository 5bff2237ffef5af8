using System.Buffers.Text;
using ProcWatch.Interop;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Kernel.ProcScan;

/// <summary>
/// The pid most recently allocated in this pid namespace: the last field of /proc/loadavg
/// (one small read, no listing). When it has not moved, no process or thread was created;
/// when it moved a little, the new processes are among the pids in between, and probing those
/// few is much cheaper than listing /proc. Only valid when /proc belongs to our own pid
/// namespace (not so after `unshare --pid` without remounting /proc).
/// </summary>
internal static class LastPid
{
    /// <summary>True when /proc shows pids of this process's own pid namespace (/proc/self is our getpid()).</summary>
    public static bool ProcMatchesOurNamespace()
    {
        string? self;
        try
        {
            self = new FileInfo("/proc/self").LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        return int.TryParse(self, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
            && pid == Libc.GetPid();
    }

    /// <summary>Reads the last allocated pid; false if /proc/loadavg is unreadable or malformed.</summary>
    public static bool TryRead(out int lastPid)
    {
        Span<byte> initial = stackalloc byte[128];
        lastPid = 0;
        if (!ProcFile.TryRead(Libc.AT_FDCWD, "/proc/loadavg\0"u8, initial, out ProcFile file, out _))
            return false;
        using (file)
            return TryParse(file.Content, out lastPid);
    }

    /// <summary>"0.52 0.58 0.59 2/468 123456\n": the number after the last space.</summary>
    internal static bool TryParse(ReadOnlySpan<byte> content, out int lastPid)
    {
        content = content.TrimEnd((byte)'\n');
        int space = content.LastIndexOf((byte)' ');
        lastPid = 0;
        return space >= 0 && Utf8Parser.TryParse(content[(space + 1)..], out lastPid, out int consumed)
            && consumed == content.Length - space - 1;
    }

    /// <summary>Whether <paramref name="pid"/> is a process (thread group leader), not another thread: "Tgid:" in its status.</summary>
    public static bool IsProcess(int pid)
    {
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(path, pid, "status"u8);
        Span<byte> initial = stackalloc byte[2048];
        if (!ProcFile.TryRead(Libc.AT_FDCWD, path, initial, out ProcFile file, out _))
            return false;
        using (file)
        {
            ReadOnlySpan<byte> content = file.Content;
            int at = content.IndexOf("\nTgid:"u8);
            if (at < 0)
                return false;
            ReadOnlySpan<byte> value = content[(at + 6)..].TrimStart((byte)'\t').TrimStart((byte)' ');
            return Utf8Parser.TryParse(value, out int tgid, out _) && tgid == pid;
        }
    }
}
