using ProcWatch.Events;

namespace ProcWatch.Watching;

/// <summary>
/// Which events a callback wants (<see cref="ProcessWatcher.On(EventFilter, Func{ProcessEvent, CancellationToken, ValueTask}, int)"/>):
/// every given condition must hold. Cheap to test: it runs on the receive path.
/// </summary>
public sealed record EventFilter
{
    /// <summary>Only events of this process (its pid).</summary>
    public int? Pid { get; init; }

    /// <summary>Only processes with this name: the kernel's comm or the executable's file name.</summary>
    public string? Name { get; init; }

    /// <summary>Only these kinds (default: all).</summary>
    public ProcessEventKinds Kinds { get; init; } = ProcessEventKinds.All | ProcessEventKinds.Lost;

    public bool Matches(ProcessEvent e)
    {
        if (!Kinds.Contains(e.Kind))
            return false;
        if (Pid is { } pid && e.Pid != pid)
            return false;
        if (Name is { } name && !NameMatches(e, name))
            return false;
        return true;
    }

    private static bool NameMatches(ProcessEvent e, string name)
    {
        if (e is CommEvent comm && string.Equals(comm.Comm, name, StringComparison.Ordinal))
            return true;
        ProcessInfo? p = e.Process;
        if (p is null)
            return false;
        if (string.Equals(p.Name, name, StringComparison.Ordinal))
            return true;
        return p.Executable is { } exe && Path.GetFileName(exe.AsSpan()).SequenceEqual(name);
    }
}
