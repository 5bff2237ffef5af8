namespace ProcWatch;

/// <summary>A raw wait(2) status as the kernel keeps it in task->exit_code, decoded.</summary>
public readonly record struct WaitStatus(uint Raw)
{
    /// <summary>True when the process called exit (as opposed to being killed by a signal).</summary>
    public bool Exited => (Raw & 0x7f) == 0;

    /// <summary>The exit code (0–255) when <see cref="Exited"/>, else null.</summary>
    public int? ExitCode => Exited ? (int)((Raw >> 8) & 0xff) : null;

    /// <summary>The terminating signal when killed by one, else null.</summary>
    public int? Signal => Exited ? null : (int)(Raw & 0x7f);

    /// <summary>True when the kernel wrote a core dump (WCOREDUMP).</summary>
    public bool CoreDumped => !Exited && (Raw & 0x80) != 0;

    /// <summary>The shell's convention: the exit code, or 128 + signal.</summary>
    public int ShellCode => Exited ? (int)((Raw >> 8) & 0xff) : 128 + (int)(Raw & 0x7f);
}
