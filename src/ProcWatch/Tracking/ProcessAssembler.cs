using ProcWatch.Events;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Tracking;

/// <summary>
/// The one place that decides what an event says about a process, built once per event,
/// parent and ancestors included. Sources deliver what they read: the kernel's record (an
/// <see cref="ExecRecord"/> from the eBPF ring) or the procfs backend's scan; this merges it
/// with what the process table knows and, only where still needed, /proc. One precedence
/// rule, for every field:
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
    /// An exec built from the kernel's record alone (the eBPF ring), once, parent and ancestors
    /// included: /proc is read only for what the kernel left unknown (a path deeper than the
    /// walk, argv beyond the capture's limit, the environment when asked for, the path of a
    /// cgroup id seen for the first time). <paramref name="known"/> is the table's view (rule 3).
    /// </summary>
    internal ProcessInfo BuildKernelExec(int pid, ExecRecord r, ProcessInfo? known, ParentInfo? parent, IReadOnlyList<ParentInfo>? ancestors)
    {
        ulong startNs = r.StartBootNs != 0 ? r.StartBootNs : known?.StartBootNs ?? 0;
        ulong ticks = _boot.BootNsToStartTicks(startNs);
        ulong? cgroupId = r.Identity.Known && r.Identity.CgroupId != 0 ? r.Identity.CgroupId : null;
        string? cgroupPath = cgroupId is { } id ? _reader.CachedCgroupPath(id) : null;
        ExecutableVersion? version = r.File is { } f ? new ExecutableVersion(f.Device, f.Inode, f.Size, f.MtimeNs, f.CtimeNs) : null;

        MissingFields wanted = MissingFields.None;
        if (r.Executable is null) wanted |= MissingFields.Executable;
        if (r.WorkingDirectory is null) wanted |= MissingFields.WorkingDirectory;
        if (r.ArgvTruncated) wanted |= MissingFields.Args;
        if (_reader.IncludeEnvironment) wanted |= MissingFields.Environment;
        if (cgroupPath is null) wanted |= MissingFields.Cgroup;
        MissingValues proc = default;
        if (wanted != MissingFields.None && startNs != 0)
            _reader.TryReadMissing(pid, ticks, wanted, cgroupId, out proc);

        IReadOnlyList<string> args = r.Argv;
        bool truncated = r.ArgvTruncated;
        ArgvSource argvSource = ArgvSource.Ebpf;
        if (truncated && proc.Args is { } full && StartsWith(full, r.Argv))
        {
            // Argv beyond the kernel's limit: /proc still holds it (rules and filters must see
            // the tail an attacker padded past the limit). The process could have rewritten
            // it since; the kernel's prefix agreeing is the check that it did not.
            (args, truncated, argvSource) = (full, false, ArgvSource.Procfs);
        }
        cgroupPath ??= proc.CgroupPath;
        string? exe = r.Executable ?? proc.Executable;
        string? entityId = startNs == 0 ? known?.EntityId
            // A process older than procwatch, known from /proc's ticks: it keeps the id it
            // already has in the output, so its events still join on it.
            : startNs < _olderThanUsBootNs && IsTickSeeded(known, ticks) ? known!.EntityId
            : _reader.EntityIdOfBootNs(pid, startNs);
        string? cwd = r.WorkingDirectory ?? proc.WorkingDirectory;
        (string? sha256, string? hashStatus) = _hasher?.Lookup(pid, r.Executable, version, r.ExecutableDeleted, r.ExecutableMemfd, entityId, (long)r.KernelTimeNs) ?? default;
        (ProgramFile? loaded, ScriptInfo? script) = TargetsOf(pid, exe, version, r.Filename, args, cwd, entityId);
        ExecIdentity identity = r.Identity;
        return new ProcessInfo
        {
            Pid = pid,
            ParentPid = r.ParentTgid,
            Name = r.Comm,
            Executable = exe,
            ExecutableDeleted = r.Executable is not null ? r.ExecutableDeleted : proc.ExecutableDeleted,
            ExecutableSource = r.Executable is not null ? ExecutableSource.Ebpf : proc.Executable is not null ? ExecutableSource.Procfs : ExecutableSource.None,
            ExecutableMemfd = r.ExecutableMemfd,
            // The kernel ran a file (it has its inode) that neither its walk nor /proc could name.
            ExecutableUnknown = exe is null && version is not null,
            LoadedProgram = loaded,
            Script = script,
            Sha256 = sha256,
            HashStatus = hashStatus,
            ExecutableMode = r.File?.Mode,
            ExecutableOwner = r.File is { } file ? _reader.UserOf(file.OwnerUid) : null,
            Args = args,
            ArgsTruncated = truncated,
            ArgsCount = r.Argc,
            ArgvSource = argvSource,
            WorkingDirectory = cwd,
            User = _reader.UserOf(r.Uid),
            EffectiveUser = identity.Known ? _reader.UserOf(identity.EffectiveUid) : known?.EffectiveUser,
            Group = _reader.GroupOf(r.Gid),
            EffectiveGroup = identity.Known ? _reader.GroupOf(identity.EffectiveGid) : known?.EffectiveGroup,
            LoginUid = identity.Known ? identity.LoginUid : known?.LoginUid,
            SessionId = r.SessionId ?? known?.SessionId,
            ProcessGroupId = r.ProcessGroupId ?? known?.ProcessGroupId,
            Tty = TtyNames.FromTtyNr(r.TtyNr),
            CgroupId = cgroupId,
            CgroupPath = cgroupPath,
            ContainerId = cgroupPath is null ? null : ContainerId.FromCgroupPath(cgroupPath),
            Start = startNs != 0 ? _boot.BootNsToWallClock(startNs) : known?.Start,
            StartTimeTicks = startNs != 0 ? ticks : known?.StartTimeTicks,
            StartBootNs = startNs != 0 ? startNs : known?.StartBootNs,
            EntityId = entityId,
            Environment = proc.Environment,
            Parent = parent,
            Ancestors = ancestors,
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
    /// A process read from /proc (the connector-only and procfs backends, a first sight, a
    /// seeded entry's details), built once: what /proc said, what the procfs backend's scan
    /// saw (<paramref name="scan"/>; its argv, names and ids come first: it read them at its
    /// scan) and the table's view (<paramref name="known"/>: the start and entity id it had
    /// since the fork, which an exec keeps). <paramref name="lineage"/> is the parent's summary,
    /// the chain and the hash status.
    /// </summary>
    internal ProcessInfo BuildFromProc(int pid, in ProcRead read, ProcessInfo? scan, ProcessInfo? known, in ExecLineage lineage)
    {
        ProcStat stat = read.Stat;
        string? exe = read.Executable;
        ExecutableSource exeSource = exe is null ? ExecutableSource.None : ExecutableSource.Procfs;
        bool deleted = read.ExecutableDeleted;
        IReadOnlyList<string>? args = stat.IsKernelThread ? null : read.Args;
        ArgvSource argvSource = args is null ? ArgvSource.None : ArgvSource.Procfs;
        bool argsTruncated = false;
        int? argsCount = null;
        int? parentPid = stat.ParentPid;
        string? name = stat.Comm;
        IdName? user = read.User, group = read.Group;
        int? session = stat.SessionId, processGroup = stat.ProcessGroupId;
        if (scan is not null)
        {
            if (scan.Args is not null && scan.ArgvSource is ArgvSource.Ebpf or ArgvSource.Procfs)
                (args, argsTruncated, argsCount, argvSource) = (scan.Args, scan.ArgsTruncated, scan.ArgsCount, scan.ArgvSource);
            // A resolved path from /proc beats the unresolved execve filename of a scan.
            if (scan.Executable is not null && !(scan.ExecutableSource == ExecutableSource.Execve && exe is not null))
                (exe, exeSource, deleted) = (scan.Executable, scan.ExecutableSource, scan.ExecutableDeleted);
            parentPid = scan.ParentPid ?? parentPid;
            name = scan.Name ?? name;
            user = scan.User ?? user;
            group = scan.Group ?? group;
            session = scan.SessionId ?? session;
            processGroup = scan.ProcessGroupId ?? processGroup;
        }
        string? cgroup = read.CgroupPath;
        return new ProcessInfo
        {
            Pid = pid,
            ParentPid = parentPid,
            Name = name,
            Executable = exe,
            ExecutableSource = exeSource,
            ExecutableDeleted = deleted,
            ExecutableUnknown = read.ExecutableTooLong,
            Args = args,
            ArgsTruncated = argsTruncated,
            ArgsCount = argsCount,
            ArgvSource = argvSource,
            WorkingDirectory = read.WorkingDirectory,
            User = user,
            EffectiveUser = read.EffectiveUser,
            Group = group,
            EffectiveGroup = read.EffectiveGroup,
            LoginUid = read.LoginUid,
            SessionId = session,
            ProcessGroupId = processGroup,
            Tty = TtyNames.FromTtyNr(stat.TtyNr),
            CgroupPath = cgroup,
            ContainerId = cgroup is null ? null : ContainerId.FromCgroupPath(cgroup),
            Start = known?.Start ?? _boot.StartTicksToWallClock(stat.StartTimeTicks),
            StartTimeTicks = known?.StartTimeTicks ?? stat.StartTimeTicks,
            StartBootNs = known?.StartBootNs ?? _boot.StartTicksToBootNs(stat.StartTimeTicks),
            EntityId = known?.EntityId ?? _reader.EntityId(pid, stat.StartTimeTicks),
            IsKernelThread = stat.IsKernelThread,
            Environment = read.Environment,
            HashStatus = lineage.HashStatus,
            Parent = lineage.Parent,
            Ancestors = lineage.Ancestors,
        };
    }

    /// <summary>
    /// An exec whose /proc read lost the race (the process is gone, or its pid is another's):
    /// only what the procfs backend's scan saw and what the table knows for certain about
    /// this very process; never another process's data.
    /// </summary>
    internal static ProcessInfo BuildLostRace(int pid, ProcessInfo? scan, ProcessInfo? known)
    {
        if (scan is null)
        {
            return new ProcessInfo
            {
                Pid = pid,
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
        bool haveArgs = scan.Args is not null && scan.ArgvSource is ArgvSource.Ebpf or ArgvSource.Procfs;
        return new ProcessInfo
        {
            Pid = pid,
            ParentPid = scan.ParentPid ?? known?.ParentPid,
            Name = scan.Name,
            Executable = scan.Executable,
            ExecutableSource = scan.Executable is null ? ExecutableSource.None : scan.ExecutableSource,
            ExecutableDeleted = scan.Executable is not null && scan.ExecutableDeleted,
            Args = haveArgs ? scan.Args : null,
            ArgsTruncated = haveArgs && scan.ArgsTruncated,
            ArgsCount = haveArgs ? scan.ArgsCount : null,
            ArgvSource = haveArgs ? scan.ArgvSource : ArgvSource.None,
            User = scan.User,
            Group = scan.Group,
            SessionId = scan.SessionId ?? known?.SessionId,
            ProcessGroupId = scan.ProcessGroupId ?? known?.ProcessGroupId,
            Start = scan.Start ?? known?.Start,
            StartTimeTicks = scan.StartTimeTicks ?? known?.StartTimeTicks,
            StartBootNs = known?.StartBootNs,
            EntityId = scan.EntityId ?? known?.EntityId,
            Parent = scan.Parent ?? known?.Parent,
        };
    }

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

/// <summary>What the table adds to a process read from /proc: the parent's summary, and at an exec the ancestor chain and the hash status.</summary>
internal readonly record struct ExecLineage(ParentInfo? Parent, IReadOnlyList<ParentInfo>? Ancestors, string? HashStatus);
