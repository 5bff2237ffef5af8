namespace ProcWatch;

/// <summary>A successful execve: the process now runs a new program (see <see cref="ProcessEvent.Process"/>).</summary>
public sealed record ExecEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Exec"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Exec;
}
