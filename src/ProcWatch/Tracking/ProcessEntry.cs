using ProcWatch.Events;

namespace ProcWatch.Tracking;

/// <summary>
/// What the table knows about one live process. Mutable, touched only on the pipeline's
/// thread. <see cref="Info"/> is the immutable snapshot handed to events; it is replaced
/// (never mutated) when the process changes.
/// </summary>
internal sealed class ProcessEntry
{
    public ProcessEntry(int pid, ProcessInfo info)
    {
        Pid = pid;
        Info = info;
    }

    public int Pid { get; }
    public ProcessInfo Info { get; set; }

    /// <summary>stat's starttime; <see cref="StartExact"/> false when derived from a fork event's time.</summary>
    public ulong StartTicks { get; set; }
    public bool StartExact { get; set; }

    /// <summary>When the process started, on the clock of event timestamps (CLOCK_MONOTONIC ns).</summary>
    public long StartMonotonicNs { get; set; }

    /// <summary>The kernel time (CLOCK_MONOTONIC ns) of the exec record that last set <see cref="Info"/>; 0: none.</summary>
    public long LastExecNs { get; set; }

    /// <summary>Seeded from stat alone: argv, executable, credentials are read on first need.</summary>
    public bool NeedsDetail { get; set; }

    /// <summary>In the watched tree (<c>-p</c>, <c>-- COMMAND</c>); true when no tree is selected.</summary>
    public bool InTree { get; set; } = true;

    /// <summary>The cached verdict of the user/regex filter for the current <see cref="Info"/>; null: not decided.</summary>
    public bool? Matches { get; set; }

    /// <summary>The inode of the pid namespace it exec'd in (<c>/proc/PID/ns/pid</c>); 0: not read.</summary>
    public ulong PidNamespace { get; set; }

    /// <summary>The summary children carry as <c>process.parent</c>; rebuilt when <see cref="Info"/> changes.</summary>
    public ParentInfo? Summary { get; set; }

    // Least-recently-used order, for eviction.
    public ProcessEntry? Older { get; set; }
    public ProcessEntry? Newer { get; set; }
    public bool Linked { get; set; }

    public void Update(ProcessInfo info)
    {
        Info = info;
        Summary = null;
        Matches = null;
    }

    public ParentInfo ParentSummary() => Summary ??= new ParentInfo
    {
        Pid = Pid, Name = Info.Name, Executable = Info.Executable, Args = Info.Args, EntityId = Info.EntityId,
    };
}
