using ProcWatch.Events;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Tracking;

/// <summary>
/// The one place that decides what an event says about a process. Sources deliver a
/// <see cref="ProcessCapture"/> (what the kernel or a scan saw); this merges it with what the
/// process table knows and, only where still needed, /proc. One precedence rule, for every
/// field:
/// <list type="number">
/// <item>the kernel's capture (eBPF, at the event: exact, cannot race);</item>
/// <item>then /proc, read through one directory handle and checked against the process's
/// start time (a lost race gives nothing, never another process's data);</item>
/// <item>then what the table inherited (the parent's copy at fork, an earlier exec).</item>
/// </list>
/// A field none of them has stays null. Runs on the pipeline's thread.
/// </summary>
internal sealed partial class ProcessAssembler
{
    private readonly ProcessReader _reader;
    private readonly SystemBoot _boot;
    private readonly ExecutableHasher? _hasher;
    private readonly ulong _olderThanUsBootNs; // a start before this is a process older than procwatch

    internal ProcessAssembler(ProcessReader reader, ExecutableHasher? hasher = null)
    {
        _reader = reader;
        _boot = reader.Boot;
        _hasher = hasher;
        _olderThanUsBootNs = SystemBoot.NowBootNs() - _boot.TickNs;
    }

    /// <summary>
    /// An exec whose capture has the whole exec context (<see cref="ProcessCapture.HasExecContext"/>):
    /// /proc is read only for what the kernel left unknown (a path deeper than the walk, argv
    /// beyond the capture's limit, the environment when asked for, the path of a cgroup id
    /// seen for the first time). <paramref name="known"/> is the table's view (rule 3).
    /// </summary>
    internal ProcessInfo AssembleKernelExec(int pid, ProcessCapture c, ProcessInfo? known)
    {
        ulong startNs = c.StartBootNs ?? known?.StartBootNs ?? 0;
        ulong ticks = _boot.BootNsToStartTicks(startNs);
        string? cgroupPath = c.CgroupId is { } id && id != 0 ? _reader.CachedCgroupPath(id) : null;

        MissingFields wanted = MissingFields.None;
        if (c.Executable is null) wanted |= MissingFields.Executable;
        if (c.WorkingDirectory is null) wanted |= MissingFields.WorkingDirectory;
        if (c.ArgsTruncated) wanted |= MissingFields.Args;
        if (_reader.IncludeEnvironment) wanted |= MissingFields.Environment;
        if (cgroupPath is null) wanted |= MissingFields.Cgroup;
        MissingValues proc = default;
        if (wanted != MissingFields.None && startNs != 0)
            _reader.TryReadMissing(pid, ticks, wanted, c.CgroupId, out proc);

        IReadOnlyList<string>? args = c.Args;
        bool truncated = c.ArgsTruncated;
        ArgvSource argvSource = c.ArgvSource;
        if (truncated && proc.Args is { } full && StartsWith(full, c.Args))
        {
            // Argv beyond the kernel's limit: /proc still holds it (rules and filters must see
            // the tail an attacker padded past the limit). The process could have rewritten
            // it since; the kernel's prefix agreeing is the check that it did not.
            (args, truncated, argvSource) = (full, false, ArgvSource.Procfs);
        }
        cgroupPath ??= proc.CgroupPath;
        string? exe = c.Executable ?? proc.Executable;
        string? entityId = startNs == 0 ? known?.EntityId
            // A process older than procwatch, known from /proc's ticks: it keeps the id it
            // already has in the output, so its events still join on it.
            : startNs < _olderThanUsBootNs && IsTickSeeded(known, ticks) ? known!.EntityId
            : _reader.EntityIdOfBootNs(pid, startNs);
        string? cwd = c.WorkingDirectory ?? proc.WorkingDirectory;
        (string? sha256, string? hashStatus) = _hasher?.Lookup(pid, c.Executable, c.ExecutableVersion, c.ExecutableDeleted, c.ExecutableMemfd, entityId) ?? default;
        (ProgramFile? loaded, ScriptInfo? script) = TargetsOf(pid, exe, c.ExecutableVersion, c.ExecFilename, args, cwd, entityId);
        return new ProcessInfo
        {
            Pid = pid,
            ParentPid = c.ParentPid ?? known?.ParentPid,
            Name = c.Name ?? known?.Name,
            Executable = exe,
            ExecutableDeleted = c.Executable is not null ? c.ExecutableDeleted : proc.ExecutableDeleted,
            ExecutableSource = c.Executable is not null ? c.ExecutableSource : proc.Executable is not null ? ExecutableSource.Procfs : ExecutableSource.None,
            ExecutableMemfd = c.ExecutableMemfd,
            // The kernel ran a file (it has its inode) that neither its walk nor /proc could name.
            ExecutableUnknown = exe is null && c.ExecutableVersion is not null,
            LoadedProgram = loaded,
            Script = script,
            Sha256 = sha256,
            HashStatus = hashStatus,
            ExecutableMode = c.ExecutableMode,
            ExecutableOwner = c.ExecutableOwner is { } owner ? _reader.UserOf(owner) : null,
            Args = args,
            ArgsTruncated = truncated,
            ArgsCount = c.ArgsCount,
            ArgvSource = argvSource,
            WorkingDirectory = cwd,
            User = c.User ?? known?.User,
            EffectiveUser = c.EffectiveUser ?? known?.EffectiveUser,
            Group = c.Group ?? known?.Group,
            EffectiveGroup = c.EffectiveGroup ?? known?.EffectiveGroup,
            LoginUid = c.LoginUidKnown ? c.LoginUid : known?.LoginUid,
            SessionId = c.SessionId ?? known?.SessionId,
            ProcessGroupId = c.ProcessGroupId ?? known?.ProcessGroupId,
            Tty = c.TtyNr is { } tty ? TtyNames.FromTtyNr(tty) : known?.Tty,
            CgroupId = c.CgroupId is 0 ? null : c.CgroupId,
            CgroupPath = cgroupPath,
            ContainerId = cgroupPath is null ? null : ContainerId.FromCgroupPath(cgroupPath),
            Start = startNs != 0 ? _boot.BootNsToWallClock(startNs) : known?.Start,
            StartTimeTicks = startNs != 0 ? ticks : known?.StartTimeTicks,
            StartBootNs = startNs != 0 ? startNs : known?.StartBootNs,
            EntityId = entityId,
            Environment = proc.Environment,
        };
    }

    /// <summary>
    /// The table knows this process (same start tick) only from /proc's ticks, its start a
    /// tick's first nanosecond. Asked only for a process older than procwatch by a tick: a
    /// newer one on a reused pid within one tick must get its own exact id.
    /// </summary>
    private bool IsTickSeeded(ProcessInfo? known, ulong ticks) =>
        known is { StartTimeTicks: { } knownTicks, StartBootNs: { } knownNs, EntityId: not null }
        && knownTicks == ticks && knownNs == _boot.StartTicksToBootNs(knownTicks);

    /// <summary>
    /// An exec read from /proc (<paramref name="read"/>: null when the race was lost) merged
    /// with a partial capture (older kernel records without the exec context; the procfs
    /// backend's scan) and the table's view. Same rule: capture, then /proc, then inherited.
    /// </summary>
    internal static ProcessInfo MergeExec(int pid, ProcessInfo? read, ProcessCapture? c, ProcessInfo? known)
    {
        ProcessInfo b = read ?? new ProcessInfo { Pid = pid };
        if (c is null)
        {
            return read is not null ? b : b with
            {
                // Lost the race: only what the table knows for certain about this very process.
                ParentPid = known?.ParentPid,
                Start = known?.Start,
                StartTimeTicks = known?.StartTimeTicks,
                StartBootNs = known?.StartBootNs,
                EntityId = known?.EntityId,
                SessionId = known?.SessionId,
                ProcessGroupId = known?.ProcessGroupId,
                Parent = known?.Parent,
            };
        }
        bool haveArgs = c.Args is not null && c.ArgvSource is ArgvSource.Ebpf or ArgvSource.Procfs;
        return b with
        {
            Pid = pid,
            ParentPid = c.ParentPid ?? b.ParentPid ?? known?.ParentPid,
            Name = c.Name ?? b.Name,
            // A resolved path from /proc beats the unresolved execve filename of an older capture.
            Executable = c.ExecutableSource == ExecutableSource.Execve && b.Executable is not null ? b.Executable : c.Executable ?? b.Executable,
            ExecutableSource = c.ExecutableSource == ExecutableSource.Execve && b.Executable is not null ? b.ExecutableSource : c.Executable is not null ? c.ExecutableSource : b.ExecutableSource,
            ExecutableDeleted = c.Executable is not null && !(c.ExecutableSource == ExecutableSource.Execve && b.Executable is not null) ? c.ExecutableDeleted : b.ExecutableDeleted,
            ExecutableMemfd = c.ExecutableMemfd || b.ExecutableMemfd,
            Args = haveArgs ? c.Args : b.Args,
            ArgsTruncated = haveArgs ? c.ArgsTruncated : b.ArgsTruncated,
            ArgsCount = haveArgs ? c.ArgsCount : b.ArgsCount,
            ArgvSource = haveArgs ? c.ArgvSource : b.ArgvSource,
            WorkingDirectory = c.WorkingDirectory ?? b.WorkingDirectory,
            User = c.User ?? b.User,
            EffectiveUser = c.EffectiveUser ?? b.EffectiveUser,
            Group = c.Group ?? b.Group,
            EffectiveGroup = c.EffectiveGroup ?? b.EffectiveGroup,
            LoginUid = c.LoginUidKnown ? c.LoginUid : b.LoginUid,
            SessionId = c.SessionId ?? b.SessionId ?? known?.SessionId,
            ProcessGroupId = c.ProcessGroupId ?? b.ProcessGroupId ?? known?.ProcessGroupId,
            Tty = c.TtyNr is { } tty ? TtyNames.FromTtyNr(tty) : b.Tty,
            CgroupId = c.CgroupId is null or 0 ? b.CgroupId : c.CgroupId,
            Start = b.Start ?? known?.Start,
            StartTimeTicks = b.StartTimeTicks ?? known?.StartTimeTicks,
            StartBootNs = c.StartBootNs ?? b.StartBootNs ?? known?.StartBootNs,
            EntityId = b.EntityId ?? known?.EntityId,
            Parent = b.Parent ?? known?.Parent,
        };
    }

    /// <summary>What a capture alone says (no table, no /proc): for a pipeline without enrichment.</summary>
    internal static ProcessInfo FromCapture(int pid, ProcessCapture c) => new()
    {
        Pid = pid,
        ParentPid = c.ParentPid,
        Name = c.Name,
        Executable = c.Executable,
        ExecutableSource = c.ExecutableSource,
        ExecutableDeleted = c.ExecutableDeleted,
        ExecutableMemfd = c.ExecutableMemfd,
        Args = c.Args,
        ArgsTruncated = c.ArgsTruncated,
        ArgsCount = c.ArgsCount,
        ArgvSource = c.ArgvSource,
        WorkingDirectory = c.WorkingDirectory,
        User = c.User,
        EffectiveUser = c.EffectiveUser,
        Group = c.Group,
        EffectiveGroup = c.EffectiveGroup,
        LoginUid = c.LoginUid,
        SessionId = c.SessionId,
        ProcessGroupId = c.ProcessGroupId,
        Tty = c.TtyNr is { } tty ? TtyNames.FromTtyNr(tty) : null,
        CgroupId = c.CgroupId is 0 ? null : c.CgroupId,
        StartBootNs = c.StartBootNs,
    };

    private static bool StartsWith(IReadOnlyList<string> full, IReadOnlyList<string>? prefix)
    {
        if (prefix is null || prefix.Count == 0)
            return true;
        if (full.Count < prefix.Count)
            return false;
        for (int i = 0; i < prefix.Count - 1; i++)
        {
            if (!string.Equals(full[i], prefix[i], StringComparison.Ordinal))
                return false;
        }
        // The last captured argument may be cut in the middle.
        return full[prefix.Count - 1].StartsWith(prefix[^1], StringComparison.Ordinal);
    }
}
