namespace ProcWatch;

/// <summary>The task renamed itself (prctl PR_SET_NAME or a write to /proc/self/comm).</summary>
public sealed record CommEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Comm"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Comm;

    /// <summary>The new name (at most 15 bytes, decoded losslessly).</summary>
    public required string Comm { get; init; }

    /// <summary>The name before the change, when the process table knew it.</summary>
    public string? OldComm { get; init; }
}
