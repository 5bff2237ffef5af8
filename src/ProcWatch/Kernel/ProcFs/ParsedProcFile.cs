using ProcWatch.Interop;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>A value parsed from the whole content of one /proc file (stat, status).</summary>
internal interface IProcFileParser<T> where T : struct, IProcFileParser<T>
{
    /// <summary>Stack bytes the file usually fits in; a larger one goes to a pooled array.</summary>
    static abstract int TypicalBytes { get; }

    static abstract bool TryParse(ReadOnlySpan<byte> content, out T value);
}

/// <summary>Reads a /proc file with <see cref="ProcFile"/> and parses it (generic over the struct: no dispatch, no allocation).</summary>
internal static class ParsedProcFile
{
    /// <summary>The file at <paramref name="pathNul"/> (NUL-terminated) relative to <paramref name="dirFd"/>; false when unreadable or unparsable.</summary>
    public static bool TryRead<T>(int dirFd, ReadOnlySpan<byte> pathNul, out T value) where T : struct, IProcFileParser<T>
    {
        Span<byte> initial = stackalloc byte[T.TypicalBytes];
        if (!ProcFile.TryRead(dirFd, pathNul, initial, out ProcFile file, out _))
        {
            value = default;
            return false;
        }
        using (file)
            return T.TryParse(file.Content, out value);
    }

    /// <summary>/proc/<paramref name="pid"/>/<paramref name="name"/>.</summary>
    public static bool TryReadOf<T>(int pid, ReadOnlySpan<byte> name, out T value) where T : struct, IProcFileParser<T>
    {
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(path, pid, name);
        return TryRead(Libc.AT_FDCWD, path, out value);
    }
}
