namespace ProcWatch.Kernel.Enforcement;

/// <summary>The words doctor, the start line and warnings use for an <see cref="EnforcementLevel"/>.</summary>
internal static class DenyLevels
{
    internal static string Name(EnforcementLevel level) => level switch
    {
        EnforcementLevel.Lsm => "lsm",
        EnforcementLevel.Fanotify => "fanotify",
        EnforcementLevel.Signal => "signal",
        EnforcementLevel.PostExecKill => "post-exec-kill",
        _ => "none",
    };

    internal static string Describe(EnforcementLevel level) => level switch
    {
        EnforcementLevel.Lsm => "BPF LSM: execve fails with EPERM",
        EnforcementLevel.Fanotify => "execve fails with EPERM (fanotify permission event)",
        EnforcementLevel.Signal => "SIGKILL at exec, before the program's first instruction",
        EnforcementLevel.PostExecKill => "kill after the exec event (the program runs briefly)",
        _ => "not enforced",
    };

    /// <summary>The one warning line when the level in force is not the best.</summary>
    internal static string Warning(EnforcementLevel level, string why) => level == EnforcementLevel.PostExecKill
        ? $"deny rules: prevention is not available here ({why}); programs are killed after their exec instead"
        : $"deny rules enforced by {Describe(level)} (better levels unavailable: {why})";
}
