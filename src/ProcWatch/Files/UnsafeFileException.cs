namespace ProcWatch.Files;

/// <summary>
/// A file or directory ProcWatch would write is not safe to write as root: a symbolic link,
/// someone else's, writable by others, another name of a file, not a regular file. One line:
/// <c>refusing PATH: REASON</c>. Nothing was written. Front ends map it to their "unsafe file"
/// exit code (the CLI's 7, README: Exit codes).
/// </summary>
internal sealed class UnsafeFileException : IOException
{
    public UnsafeFileException(string path, string reason) : base($"refusing {path}: {reason}")
    {
        Path = path;
        Reason = reason;
    }

    public UnsafeFileException() : this("", "unsafe") { }

    public UnsafeFileException(string message) : this("", message) { }

    public UnsafeFileException(string message, Exception inner) : base(message, inner)
    {
        Path = "";
        Reason = message;
    }

    /// <summary>The path as the user gave it (or the component that was refused).</summary>
    public string Path { get; } = "";

    /// <summary>Why, in words (no path).</summary>
    public string Reason { get; } = "";
}
