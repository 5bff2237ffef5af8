using ProcWatch.Events;

namespace ProcWatch.Rules;

/// <summary>
/// Knows which processes descend from this process (the daemon's actions and their
/// children), from the fork and exit events themselves, so that rules skip them and an
/// action can never trigger itself. Needs fork events; used from one thread.
/// </summary>
internal sealed class OwnProcessTracker(int selfPid)
{
    /// <summary>Actions are few and short; a bound keeps a fork-bombing action from growing the set without limit.</summary>
    public const int Capacity = 4096;

    private readonly HashSet<int> _own = [];

    public int Count => _own.Count;

    /// <summary>Call for every event, in order, before <see cref="IsOwn"/>.</summary>
    public void Observe(ProcessEvent e)
    {
        if (e is ForkEvent { IsThread: false } fork && (fork.ParentPid == selfPid || _own.Contains(fork.ParentPid)))
        {
            if (_own.Count < Capacity)
                _own.Add(fork.Pid);
        }
        else if (e is LostEvent)
        {
            // An own process's exit may have been lost; its pid could then be reused by anyone,
            // and rules would skip that process. Forgetting errs on the safe side: at worst a
            // running action's later children are matched by rules (and rate-limited).
            _own.Clear();
        }
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
