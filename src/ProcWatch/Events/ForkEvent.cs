namespace ProcWatch.Events;

/// <summary>
/// A new task: a process (fork) or, when the child is not a thread group leader, a thread
/// (clone). <see cref="ProcessEvent.Pid"/>/<see cref="ProcessEvent.Tid"/> describe the child.
/// </summary>
public sealed record ForkEvent : ProcessEvent
{
    public override ProcessEventKind Kind => IsThread ? ProcessEventKind.Clone : ProcessEventKind.Fork;

    public required int ParentPid { get; init; }
    public required int ParentTid { get; init; }

    /// <summary>True for a new thread in an existing process (child_pid != child_tgid).</summary>
    public bool IsThread => Tid != Pid;
}
