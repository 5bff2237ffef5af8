namespace ProcWatch.Events;

/// <summary>A proc connector event of a kind this version does not know; kept, not dropped.</summary>
public sealed record UnknownEvent : ProcessEvent
{
    public override ProcessEventKind Kind => ProcessEventKind.Unknown;
    public required uint What { get; init; }
}
