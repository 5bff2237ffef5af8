using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// What the fanotify gate read about one refused (or audited) exec while it waited: the file,
/// the caller, and the path and argv it passed to execve. Raw: names and the event are made
/// on another thread (<see cref="ToEvent"/>), never on the gate's.
/// </summary>
internal sealed class PermissionDenial
{
    public required DenyRule Rule { get; init; }
    public required bool Audit { get; set; } // set when a deadline let the exec go on (ExecPermissionGate.Deadline.cs)
    public required long KernelTimeNs { get; init; }
    public required int Tid { get; init; }
    public required ExecCaller Caller { get; init; }
    public required bool CallerKnown { get; init; }
    public required FileIdentity File { get; init; }
    public required uint Nlink { get; init; }
    public string? Path { get; init; }
    public bool PathDeleted { get; init; }
    public string? Filename { get; init; }
    public List<string>? Argv { get; init; }
    public bool ArgvTruncated { get; init; }
    public string? WorkingDirectory { get; init; }
    public string? Comm { get; init; }

    /// <summary>Everything a denial event says, read from the waiting caller (a few /proc reads; denials only).</summary>
    internal static PermissionDenial Gather(DenyRule rule, in PermissionVerdict v, int fd, int tid, CallerMemory memory)
    {
        long now = KernelClock.MonotonicNs();
        string? path = PermissionJudge.ReadPath(fd, v.Nlink, out bool deleted);
        PendingExecArguments.TryRead(tid, memory, out string? filename, out List<string>? argv, out bool truncated);
        int pid = v.CallerKnown ? v.Caller.Tgid : tid;
        ProcLinks.TryReadWorkingDirectory(pid, out string cwd);
        return new PermissionDenial
        {
            Rule = rule,
            Audit = v.Audit,
            KernelTimeNs = now,
            Tid = tid,
            Caller = v.Caller,
            CallerKnown = v.CallerKnown,
            File = v.File,
            Nlink = v.Nlink,
            Path = path,
            PathDeleted = deleted,
            Filename = filename,
            Argv = argv,
            ArgvTruncated = truncated,
            WorkingDirectory = cwd.Length > 0 ? cwd : null,
            Comm = ProcSmallFiles.TryReadComm(tid, out string comm) ? comm : null, // the thread that execs
        };
    }

    /// <summary>
    /// The <see cref="DeniedEvent"/>: <c>process.*</c> is the attempt (the file as its
    /// descriptor's path names it, a memfd as such; argv and the path given to execve read from
    /// the caller's memory), the caller's pid, name, parent and users.
    /// </summary>
    internal DeniedEvent ToEvent(KernelClock clock, AccountNames accounts)
    {
        bool memfd = Nlink == 0 && Path is { } p && p.StartsWith("/memfd:", StringComparison.Ordinal);
        int pid = CallerKnown ? Caller.Tgid : Tid;
        var process = new ProcessInfo
        {
            Pid = pid,
            ParentPid = CallerKnown ? Caller.ParentPid : null,
            Name = Comm,
            Executable = memfd ? null : Path,
            ExecutableDeleted = PathDeleted && !memfd,
            ExecutableMemfd = memfd,
            ExecutableSource = Path is null || memfd ? ExecutableSource.None : ExecutableSource.Procfs,
            Args = Argv,
            ArgsTruncated = ArgvTruncated,
            ArgsCount = Argv is null || ArgvTruncated ? null : Argv.Count,
            ArgvSource = Argv is null ? ArgvSource.None : ArgvSource.Procfs,
            WorkingDirectory = WorkingDirectory,
            User = CallerKnown ? new IdName(Caller.Uid, accounts.UserName(Caller.Uid)) : null,
            EffectiveUser = CallerKnown ? new IdName(Caller.EffectiveUid, accounts.UserName(Caller.EffectiveUid)) : null,
        };
        return new DeniedEvent
        {
            KernelTimeNs = KernelTimeNs,
            Timestamp = clock.ToWallClock(KernelTimeNs),
            Pid = pid,
            Tid = Tid,
            Origin = EventOrigin.Watcher,
            Process = process,
            RuleName = Rule.Name,
            Audit = Audit,
            Level = EnforcementLevel.Fanotify,
            Filename = Filename,
        };
    }
}
