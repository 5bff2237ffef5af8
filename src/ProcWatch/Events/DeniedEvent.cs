namespace ProcWatch;

/// <summary>
/// An exec a deny rule refused (<see cref="WatchOptions.DenyRules"/>): the program never ran
/// (<see cref="Level"/> says how it was stopped), or, for a rule in audit mode (<see cref="DenyRule.Audit"/>),
/// it ran and would have been refused. <see cref="ProcessEvent.Process"/> describes the attempt
/// as the kernel saw it: the executable, argv where it could be read, cwd, users, parent, cgroup.
/// <see cref="ProcessEvent.Pid"/> is the process that called execve.
/// </summary>
public sealed record DeniedEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Denied"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Denied;

    /// <summary>The rule that refused it (<see cref="DenyRule.Name"/>).</summary>
    public required string RuleName { get; init; }

    /// <summary>An audit rule's report: the program ran, and would have been refused.</summary>
    public required bool Audit { get; init; }

    /// <summary>How the exec was stopped: <see cref="EnforcementLevel.Lsm"/> (execve failed with EPERM) or <see cref="EnforcementLevel.Signal"/> (SIGKILL before the first instruction).</summary>
    public required EnforcementLevel Level { get; init; }

    /// <summary>The path as given to execve (may be relative); <see cref="ProcessInfo.Executable"/> is the resolved one.</summary>
    public string? Filename { get; init; }
}
