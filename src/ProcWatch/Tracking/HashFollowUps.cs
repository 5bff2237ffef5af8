using ProcWatch.Kernel;

namespace ProcWatch.Tracking;

/// <summary>Builds the hash follow-up events the hasher's worker posts, and applies one to a process's record.</summary>
internal static class HashFollowUps
{
    public static string TargetName(HashTarget target) => target switch
    {
        HashTarget.Script => "script",
        HashTarget.LoadedProgram => "loaded_program",
        _ => "executable",
    };

    /// <summary>The follow-up for one waiting exec; its process is only the pid and entity id until enrichment finds it in the table.</summary>
    public static HashEvent Create(HashWaiter waiter, string? sha256, string? status)
    {
        long now = KernelClock.MonotonicNs();
        return new HashEvent
        {
            KernelTimeNs = now,
            Timestamp = KernelClock.Shared.ToWallClock(now),
            Pid = waiter.Pid,
            Tid = waiter.Pid,
            Origin = EventOrigin.Watcher,
            Target = TargetName(waiter.Target),
            Path = waiter.Path,
            Sha256 = sha256,
            HashStatus = sha256 is null ? status ?? HashStatuses.Unreadable : null,
            Process = new ProcessInfo { Pid = waiter.Pid, EntityId = waiter.EntityId },
        };
    }

    /// <summary><paramref name="info"/> with the follow-up's hash (or reason) in place of "pending".</summary>
    public static ProcessInfo Apply(ProcessInfo info, HashEvent e) => e.Target switch
    {
        "script" when info.Script?.File is { } file => info with { Script = info.Script with { File = file with { Sha256 = e.Sha256, HashStatus = e.HashStatus } } },
        "loaded_program" when info.LoadedProgram is { } loaded => info with { LoadedProgram = loaded with { Sha256 = e.Sha256, HashStatus = e.HashStatus } },
        "executable" => info with { Sha256 = e.Sha256, HashStatus = e.HashStatus },
        _ => info,
    };
}
