namespace ProcWatch.Events;

/// <summary>The process is dumping core (sent before its exit).</summary>
public sealed record CoredumpEvent : ProcessEvent
{
    public override ProcessEventKind Kind => ProcessEventKind.Coredump;
    public required int ParentPid { get; init; }
    public required int ParentTid { get; init; }
}
