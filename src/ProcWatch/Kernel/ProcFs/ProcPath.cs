using System.Buffers.Text;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>Builds NUL-terminated /proc paths in caller-provided (stack) memory: no strings, no allocation.</summary>
internal static class ProcPath
{
    /// <summary>Enough for "/proc/" + two pids + "/task/" + the longest file name we read.</summary>
    public const int MaxLength = 64;

    /// <summary>"/proc/PID/NAME\0" (NAME without a leading slash; empty for the directory itself).</summary>
    public static int Format(Span<byte> dest, int pid, ReadOnlySpan<byte> name)
    {
        int n = Append(dest, 0, "/proc/"u8);
        Utf8Formatter.TryFormat(pid, dest[n..], out int digits);
        n += digits;
        if (!name.IsEmpty)
        {
            dest[n++] = (byte)'/';
            n = Append(dest, n, name);
        }
        dest[n++] = 0;
        return n;
    }

    /// <summary>"/proc/PID/task/TID/NAME\0".</summary>
    public static int FormatTask(Span<byte> dest, int pid, int tid, ReadOnlySpan<byte> name)
    {
        int n = Format(dest, pid, "task"u8) - 1;
        dest[n++] = (byte)'/';
        Utf8Formatter.TryFormat(tid, dest[n..], out int digits);
        n += digits;
        dest[n++] = (byte)'/';
        n = Append(dest, n, name);
        dest[n++] = 0;
        return n;
    }

    private static int Append(Span<byte> dest, int at, ReadOnlySpan<byte> text)
    {
        text.CopyTo(dest[at..]);
        return at + text.Length;
    }
}
