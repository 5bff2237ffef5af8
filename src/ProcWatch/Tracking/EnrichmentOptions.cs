using ProcWatch.Containers;
using ProcWatch.Events;
using ProcWatch.Filtering;

namespace ProcWatch.Tracking;

/// <summary>How events are enriched from the process table and /proc.</summary>
internal sealed record EnrichmentOptions
{
    /// <summary>
    /// The kinds the process table follows whatever was asked for: forks, execs and exits
    /// place and forget processes; uid and gid changes keep each process's credentials current
    /// (a process that calls setuid() and never execs is the new user's for <c>-u</c>, and its
    /// children inherit that). Rare: one event per credential change (per thread).
    /// </summary>
    public const ProcessEventKinds FollowedKinds =
        ProcessEventKinds.Fork | ProcessEventKinds.Exec | ProcessEventKinds.Exit | ProcessEventKinds.Uid | ProcessEventKinds.Gid;

    /// <summary>The process table's bound; the least recently used process is evicted beyond it.</summary>
    public int TableCapacity { get; init; } = 32768;

    /// <summary>
    /// The watched tree's member list (<c>-p</c>, <c>-- COMMAND</c>): as many members as the
    /// kernel's tree map holds (ExecCaptureOptions.TreeCapacity). Beyond it, members are
    /// placed by /proc's ancestry, counted and reported (TreeMembership).
    /// </summary>
    public int TreeCapacity { get; init; } = 65536;

    /// <summary>Read each process's environment (<c>--env</c>): large, and often secret.</summary>
    public bool IncludeEnvironment { get; init; }

    /// <summary>Which processes to report; null reports all.</summary>
    public ProcessFilter? Filter { get; init; }

    /// <summary>Executable hashing (<c>process.hash.sha256</c>); <see cref="HashOptions.Enabled"/> false: off.</summary>
    public HashOptions Hash { get; init; } = new();

    /// <summary>Ancestors an exec carries in <c>procwatch.ancestors</c> (the parent first); 0: none.</summary>
    public int AncestorDepth { get; init; } = 4;

    /// <summary>Container identities from the runtimes (<c>container.name</c>, image, pod) and where to read them.</summary>
    public ContainerOptions Containers { get; init; } = new();

    /// <summary>After a loss, the table is re-read from /proc at most this often.</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(1);
}
