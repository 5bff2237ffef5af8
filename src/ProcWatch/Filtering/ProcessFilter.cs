using System.Text.RegularExpressions;
using ProcWatch.Events;
using ProcWatch.Text;

namespace ProcWatch.Filtering;

/// <summary>
/// Which processes to report. Applied by the enrichment stage as early as each criterion
/// allows: the process tree (<see cref="Pids"/>, <see cref="DescendantsOf"/>) before any /proc
/// read, the user and the pattern once the process is known (the verdict is cached per
/// process and recomputed when it execs or changes credentials). Lost events always pass.
/// </summary>
internal sealed record ProcessFilter
{
    /// <summary>Only these processes and their descendants (<c>-p</c>).</summary>
    public IReadOnlyList<int>? Pids { get; init; }

    /// <summary>Only descendants of this process, not the process itself (<c>-- COMMAND</c>: procwatch's own children).</summary>
    public int? DescendantsOf { get; init; }

    /// <summary>Only processes whose real or effective uid is this (<c>-u</c>).</summary>
    public uint? UserId { get; init; }

    /// <summary>Only processes whose executable path or command line matches (<c>--match</c>); compile it once.</summary>
    public Regex? Match { get; init; }

    /// <summary>Only processes in these containers or pods (<c>--container</c>, <c>--pod</c>); null: any.</summary>
    public ContainerSelector? Containers { get; init; }

    /// <summary>Report thread events (clone, a thread's exit or rename).</summary>
    public bool IncludeThreads { get; init; } = true;

    public bool SelectsTree => Pids is { Count: > 0 } || DescendantsOf is not null;

    public bool SelectsProcesses => UserId is not null || Match is not null || Containers is not null;

    public bool IsRoot(int pid)
    {
        if (Pids is { } pids)
        {
            for (int i = 0; i < pids.Count; i++)
            {
                if (pids[i] == pid)
                    return true;
            }
        }
        return false;
    }

    /// <summary>The user and pattern criteria against what is known of a process.</summary>
    public bool MatchesProcess(ProcessInfo info)
    {
        if (UserId is { } uid && !ProcessMatching.UserMatches(info, uid, null))
            return false;
        if (Containers is { } containers && !containers.Matches(info))
            return false;
        if (Match is { } regex)
        {
            bool hit = (info.Executable is { } exe && regex.IsMatch(exe))
                || (info.Args is { Count: > 0 } args && regex.IsMatch(CommandLine.Join(args)))
                || (info.Args is null && info.Name is { } name && regex.IsMatch(name));
            if (!hit)
                return false;
        }
        return true;
    }
}
