using ProcWatch.Filtering;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Tracking;

/// <summary>
/// The watched tree's members (<c>-p</c>, <c>-- COMMAND</c>) by pid, kept apart from the
/// process table: the table's LRU evicts, and a member's child must not be placed outside the
/// tree because a fork bomb made its parent's entry room. A process is a member from the fork
/// (or the first sight) that placed it until its exit, whoever becomes its parent meanwhile (a
/// reparent to a subreaper or init when its parent dies). Roots stay the filter's, by pid.
/// Bounded: past <see cref="Capacity"/> a member is not recorded but counted
/// (<see cref="Unrecorded"/>), and a process whose parent nothing records is placed by /proc's
/// ancestry; one that nothing can place is included and counted (<see cref="Undecided"/>).
/// Both counts are said in the stream (<see cref="LossReason.TreeBound"/>). Pipeline thread only.
/// </summary>
internal sealed class TreeMembership
{
    private readonly ProcessFilter _filter;
    private readonly Dictionary<int, MemberStart> _members;
    private long _reported;

    public TreeMembership(ProcessFilter filter, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _filter = filter;
        Capacity = capacity;
        _members = new Dictionary<int, MemberStart>(Math.Min(capacity, 256));
    }

    public int Capacity { get; }

    public int Count => _members.Count;

    /// <summary>Members the bound left unrecorded (placed, but not remembered past their table entry).</summary>
    public long Unrecorded { get; private set; }

    /// <summary>Processes included because neither a record nor /proc could place them.</summary>
    public long Undecided { get; private set; }

    /// <summary>Uncertain placements not yet said in the stream.</summary>
    public long Unreported => Unrecorded + Undecided - _reported;

    /// <summary>The uncertain placements since the last call (to be reported).</summary>
    public long TakeUnreported()
    {
        long n = Unreported;
        _reported += n;
        return n;
    }

    public void OnUndecided() => Undecided++;

    /// <summary>A <c>-p</c> pid.</summary>
    public bool IsRoot(int pid) => _filter.IsRoot(pid);

    /// <summary>A root or a recorded member.</summary>
    public bool Contains(int pid) => _filter.IsRoot(pid) || _members.ContainsKey(pid);

    /// <summary>The children <paramref name="pid"/> creates are in the tree: it is a root or a member, or (<c>-- COMMAND</c>) procwatch itself.</summary>
    public bool Adopts(int pid) => pid > 0 && (_filter.DescendantsOf == pid || _filter.IsRoot(pid) || _members.ContainsKey(pid));

    /// <summary>
    /// <paramref name="pid"/> is a recorded member still held by the process placed then: a
    /// start read now that differs from the recorded one is another process on a reused pid
    /// (the member's exit was lost), and that record is dropped.
    /// </summary>
    public bool IsMember(int pid, ulong startTicks, bool startExact)
    {
        if (!_members.TryGetValue(pid, out MemberStart recorded))
            return false;
        if (startTicks == 0 || recorded.Ticks == 0
            || PidReuseGuard.IsSameProcess(startTicks, recorded.Ticks, recorded.Exact && startExact))
        {
            return true;
        }
        _members.Remove(pid);
        return false;
    }

    /// <summary>Records a member (its start: 0 when not known); past the bound it is counted instead.</summary>
    public void Add(int pid, ulong startTicks, bool startExact)
    {
        if (_members.Count >= Capacity && !_members.ContainsKey(pid))
        {
            Unrecorded++;
            return;
        }
        _members[pid] = new MemberStart(startTicks, startExact);
    }

    /// <summary>The process on <paramref name="pid"/> ended (or the pid now holds an outsider).</summary>
    public void Remove(int pid) => _members.Remove(pid);

    /// <summary>Recorded members (a copy).</summary>
    public int[] Pids()
    {
        var pids = new int[_members.Count];
        _members.Keys.CopyTo(pids, 0);
        return pids;
    }

    /// <summary>After a loss: forget members that are gone, or whose pid another process holds (their exit was lost).</summary>
    public void Prune()
    {
        foreach (int pid in Pids())
        {
            if (!ProcStat.TryRead(pid, out ProcStat stat) || !IsMember(pid, stat.StartTimeTicks, startExact: true))
                _members.Remove(pid);
        }
    }

    private readonly record struct MemberStart(ulong Ticks, bool Exact);
}
