namespace ProcWatch;

/// <summary>The process is dumping core (sent before its exit).</summary>
public sealed record CoredumpEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Coredump"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Coredump;
    /// <summary>The parent's process id.</summary>
    public required int ParentPid { get; init; }
    /// <summary>The parent's thread id.</summary>
    public required int ParentTid { get; init; }
}
