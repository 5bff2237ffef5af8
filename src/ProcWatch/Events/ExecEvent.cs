namespace ProcWatch.Events;

/// <summary>A successful execve: the process now runs a new program (see <see cref="ProcessEvent.Process"/>).</summary>
public sealed record ExecEvent : ProcessEvent
{
    public override ProcessEventKind Kind => ProcessEventKind.Exec;
}
