using ProcWatch.Interop;
using ProcWatch.Text;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>
/// /proc/PID/cmdline and /proc/PID/environ: NUL-separated strings, read whole (no
/// truncation), empty strings kept, each decoded losslessly with <see cref="ProcText"/>.
/// An empty file (kernel thread, zombie, or a process between exec and its first page of
/// arguments) reads as zero strings.
/// </summary>
internal static class ProcCmdline
{
    public static bool TryReadArgs(int pid, out string[] args) => TryReadNamed(pid, "cmdline"u8, out args);

    public static bool TryReadEnvironment(int pid, out string[] environment) => TryReadNamed(pid, "environ"u8, out environment);

    private static bool TryReadNamed(int pid, ReadOnlySpan<byte> name, out string[] strings)
    {
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(path, pid, name);
        return TryRead(Libc.AT_FDCWD, path, out strings);
    }

    internal static bool TryRead(int dirFd, ReadOnlySpan<byte> pathNul, out string[] strings)
    {
        Span<byte> initial = stackalloc byte[2048];
        if (!ProcFile.TryRead(dirFd, pathNul, initial, out ProcFile file, out _))
        {
            strings = [];
            return false;
        }
        using (file)
            strings = Split(file.Content);
        return true;
    }

    /// <summary>Splits at NUL; a final NUL ends the last string instead of starting an empty one.</summary>
    public static string[] Split(ReadOnlySpan<byte> content)
    {
        if (content.IsEmpty)
            return [];
        if (content[^1] == 0)
            content = content[..^1];
        int count = content.Count((byte)0) + 1;
        var result = new string[count];
        int i = 0;
        foreach (Range range in content.Split((byte)0))
            result[i++] = ProcText.Decode(content[range]);
        return result;
    }
}
