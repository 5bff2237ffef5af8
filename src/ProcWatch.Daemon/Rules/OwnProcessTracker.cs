using ProcWatch.Events;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Rules;

/// <summary>
/// Knows which processes descend from this process (the daemon's actions and their
/// children), from the fork and exit events themselves, so that rules skip them and an
/// action can never trigger itself. Needs fork events; used from one thread.
/// </summary>
/// <remarks>
/// Not a view of the pipeline's <c>Tracking.ProcessTable</c>, on purpose: that table is owned
/// by the pipeline's thread (touched under its lock, without other synchronisation) and is
/// ahead of the consumer, which judges events queued earlier. The consumer needs "own" as of
/// the event it judges, so it follows the same fork and exit events, in order, itself. The
/// set is small (own descendants only) and bounded.
/// </remarks>
internal sealed class OwnProcessTracker(int selfPid)
{
    /// <summary>Actions are few and short; a bound keeps a fork-bombing action from growing the set without limit.</summary>
    public const int Capacity = 4096;

    /// <summary>Own pid → its start time (clock ticks since boot, /proc/PID/stat), 0 when it could not be read.</summary>
    private readonly Dictionary<int, ulong> _own = [];
    private readonly List<int> _gone = [];

    public int Count => _own.Count;

    /// <summary>Call for every event, in order, before <see cref="IsOwn"/>.</summary>
    public void Observe(ProcessEvent e)
    {
        if (e is ForkEvent { IsThread: false } fork && (fork.ParentPid == selfPid || _own.ContainsKey(fork.ParentPid)))
        {
            if (_own.Count < Capacity)
                _own[fork.Pid] = StartOf(fork.Pid, fork.ParentPid);
        }
        else if (e is LostEvent)
        {
            ForgetUnverifiable();
        }
    }

    /// <summary>True for this process and its descendants.</summary>
    public bool IsOwn(ProcessEvent e) =>
        e.Pid == selfPid || _own.ContainsKey(e.Pid) || (e.Process?.ParentPid is { } ppid && (ppid == selfPid || _own.ContainsKey(ppid)));

    /// <summary>Call after an event is handled: forgets processes that ended.</summary>
    public void Forget(ProcessEvent e)
    {
        if (e is ExitEvent { IsThread: false })
            _own.Remove(e.Pid);
    }

    /// <summary>
    /// After a loss an own process's exit may be missing and its pid reused by anyone, and
    /// rules would then skip that process. Keeps only the processes that still run with the
    /// start time they had at fork (the same process, not a reuse); forgets the rest, which
    /// errs on the safe side: at worst a running action's later children are matched by rules.
    /// </summary>
    private void ForgetUnverifiable()
    {
        _gone.Clear();
        foreach ((int pid, ulong start) in _own)
        {
            if (start == 0 || !ProcStat.TryRead(pid, out ProcStat stat) || stat.StartTimeTicks != start)
                _gone.Add(pid);
        }
        foreach (int pid in _gone)
            _own.Remove(pid);
    }

    /// <summary>The child's start time, read once at its fork while its parent is still the one the event names; 0 when not readable.</summary>
    private static ulong StartOf(int pid, int parentPid) =>
        ProcStat.TryRead(pid, out ProcStat stat) && stat.ParentPid == parentPid ? stat.StartTimeTicks : 0;
}
