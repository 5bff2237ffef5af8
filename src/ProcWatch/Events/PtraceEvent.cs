namespace ProcWatch;

/// <summary>A tracer attached to (or detached from) the process.</summary>
public sealed record PtraceEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Ptrace"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Ptrace;

    /// <summary>The tracer's process id; 0 on detach (the kernel does not say who detached).</summary>
    public required int TracerPid { get; init; }
    /// <summary>The tracer's thread id; 0 on detach.</summary>
    public required int TracerTid { get; init; }
    /// <summary>True for an attach, false for a detach.</summary>
    public bool IsAttach => TracerPid != 0;
}
