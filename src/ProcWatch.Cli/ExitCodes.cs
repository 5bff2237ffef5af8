namespace ProcWatch.Cli;

/// <summary>procwatch's exit codes (documented in docs/cli.md). With `-- COMMAND` the command's status wins.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>A runtime failure the message explains.</summary>
    public const int Failure = 1;
    /// <summary>Bad command line.</summary>
    public const int Usage = 2;
    /// <summary>Not enough privilege for the requested backend.</summary>
    public const int NoPrivilege = 3;
    /// <summary>The kernel (or OS) lacks the mechanism.</summary>
    public const int Unsupported = 4;
    /// <summary>The output could not be written (disk full, I/O error).</summary>
    public const int OutputFailed = 5;
    /// <summary>The daemon's configuration is invalid (the message names the line).</summary>
    public const int ConfigInvalid = 6;
    /// <summary>A file or directory procwatch would write is not safe to write as root (a symbolic link, someone else's, writable by others).</summary>
    public const int UnsafeFile = 7;
}
