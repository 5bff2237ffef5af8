namespace ProcWatch.Files;

/// <summary>A single file opened by path through <see cref="SafeDirectory"/> (the CLI's <c>-o</c>, report temporaries).</summary>
internal static class PrivateFile
{
    /// <summary>Opens <paramref name="path"/> for appending (created 0600); returns the descriptor.</summary>
    /// <exception cref="UnsafeFileException">The file, or the way to it, is not safe to write as root.</exception>
    /// <exception cref="IOException">The system refused.</exception>
    /// <param name="allowStreams">Also take a fifo or character device root or we own (the CLI's <c>-o /dev/null</c>, <c>-o FIFO</c>).</param>
    public static int OpenAppend(string path, DirectoryTrust parentTrust, bool createDirectories = false, bool allowStreams = false)
    {
        (string directory, string name) = Split(path);
        using SafeDirectory dir = SafeDirectory.Open(directory, parentTrust, createDirectories, forPath: Path.GetFullPath(path));
        return dir.OpenAppend(name, allowStreams);
    }

    /// <summary>Creates <paramref name="path"/> 0600, refusing anything that already has the name; returns a write descriptor.</summary>
    public static int CreateNew(string path, DirectoryTrust parentTrust)
    {
        (string directory, string name) = Split(path);
        using SafeDirectory dir = SafeDirectory.Open(directory, parentTrust, create: false, forPath: Path.GetFullPath(path));
        return dir.CreateNew(name);
    }

    /// <summary>The parent directory and the file name of <paramref name="path"/> (absolute).</summary>
    public static (string Directory, string Name) Split(string path)
    {
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        if (name.Length == 0)
            throw new IOException($"cannot open {path}: it names a directory");
        return (Path.GetDirectoryName(full) ?? "/", name);
    }
}
