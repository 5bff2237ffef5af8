using System.Buffers.Text;
using ProcWatch.Interop;
using ProcWatch.Text;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>One-line files of /proc/PID: comm and loginuid.</summary>
internal static class ProcSmallFiles
{
    /// <summary>The audit login uid value meaning "not set" ((uid_t)-1).</summary>
    public const uint UnsetLoginUid = uint.MaxValue;

    /// <summary>/proc/PID/comm without its newline.</summary>
    public static bool TryReadComm(int pid, out string comm)
    {
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(path, pid, "comm"u8);
        return TryReadComm(Libc.AT_FDCWD, path, out comm);
    }

    internal static bool TryReadComm(int dirFd, ReadOnlySpan<byte> pathNul, out string comm)
    {
        Span<byte> initial = stackalloc byte[64];
        if (!ProcFile.TryRead(dirFd, pathNul, initial, out ProcFile file, out _))
        {
            comm = string.Empty;
            return false;
        }
        using (file)
        {
            ReadOnlySpan<byte> content = file.Content;
            if (!content.IsEmpty && content[^1] == (byte)'\n')
                content = content[..^1];
            comm = ProcText.Decode(content);
        }
        return true;
    }

    /// <summary>/proc/PID/loginuid; <paramref name="loginUid"/> is null when unset (4294967295).</summary>
    internal static bool TryReadLoginUid(int dirFd, ReadOnlySpan<byte> pathNul, out uint? loginUid)
    {
        loginUid = null;
        Span<byte> initial = stackalloc byte[32];
        if (!ProcFile.TryRead(dirFd, pathNul, initial, out ProcFile file, out _))
            return false;
        using (file)
        {
            if (!Utf8Parser.TryParse(file.Content, out uint value, out _))
                return false;
            if (value != UnsetLoginUid)
                loginUid = value;
        }
        return true;
    }
}
