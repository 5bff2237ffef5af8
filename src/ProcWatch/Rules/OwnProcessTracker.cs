using ProcWatch.Events;

namespace ProcWatch.Rules;

/// <summary>
/// Knows which processes descend from this process (the daemon's actions and their
/// children), from the fork and exit events themselves, so that rules skip them and an
/// action can never trigger itself. Needs fork events; used from one thread.
/// </summary>
public sealed class OwnProcessTracker(int selfPid)
{
    private readonly HashSet<int> _own = [];

    public int Count => _own.Count;

    /// <summary>Call for every event, in order, before <see cref="IsOwn"/>.</summary>
    public void Observe(ProcessEvent e)
    {
        if (e is ForkEvent { IsThread: false } fork && (fork.ParentPid == selfPid || _own.Contains(fork.ParentPid)))
            _own.Add(fork.Pid);
    }

    /// <summary>True for this process and its descendants.</summary>
    public bool IsOwn(ProcessEvent e) =>
        e.Pid == selfPid || _own.Contains(e.Pid) || (e.Process?.ParentPid is { } ppid && (ppid == selfPid || _own.Contains(ppid)));

    /// <summary>Call after an event is handled: forgets processes that ended.</summary>
    public void Forget(ProcessEvent e)
    {
        if (e is ExitEvent { IsThread: false })
            _own.Remove(e.Pid);
    }
}
