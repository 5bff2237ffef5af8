namespace ProcWatch;

/// <summary>A proc connector event of a kind this version does not know; kept, not dropped.</summary>
public sealed record UnknownEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Unknown"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Unknown;
    /// <summary>The connector's raw <c>what</c> value (PROC_EVENT_*).</summary>
    public required uint What { get; init; }
}
