namespace ProcWatch;

/// <summary>
/// A new task: a process (fork) or, when the child is not a thread group leader, a thread
/// (clone). <see cref="ProcessEvent.Pid"/>/<see cref="ProcessEvent.Tid"/> describe the child.
/// </summary>
public sealed record ForkEvent : ProcessEvent
{
    /// <summary><see cref="ProcessEventKind.Clone"/> for a new thread, else <see cref="ProcessEventKind.Fork"/>.</summary>
    public override ProcessEventKind Kind => IsThread ? ProcessEventKind.Clone : ProcessEventKind.Fork;

    /// <summary>The parent's process id (the task that forked).</summary>
    public required int ParentPid { get; init; }
    /// <summary>The parent's thread id (the thread that forked).</summary>
    public required int ParentTid { get; init; }

    /// <summary>
    /// The process that called fork/clone, when it is not the parent: after
    /// clone(CLONE_PARENT) the child gets its creator's parent. Null when the creator is the
    /// parent, or not known (only the eBPF backend's fork record names it).
    /// </summary>
    public int? CreatorPid { get; init; }

    /// <summary>True for a new thread in an existing process (child_pid != child_tgid).</summary>
    public bool IsThread => Tid != Pid;
}
