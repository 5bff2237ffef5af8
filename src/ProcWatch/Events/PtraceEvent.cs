namespace ProcWatch.Events;

/// <summary>A tracer attached to (or detached from) the process.</summary>
public sealed record PtraceEvent : ProcessEvent
{
    public override ProcessEventKind Kind => ProcessEventKind.Ptrace;

    /// <summary>The tracer's process id; 0 on detach (the kernel does not say who detached).</summary>
    public required int TracerPid { get; init; }
    public required int TracerTid { get; init; }
    public bool IsAttach => TracerPid != 0;
}
