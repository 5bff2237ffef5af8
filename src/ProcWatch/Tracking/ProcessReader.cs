using ProcWatch.Events;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Tracking;

/// <summary>
/// Reads everything /proc says about one process into a <see cref="ProcRead"/>, through one
/// <see cref="ProcessDirectory"/> so that every field belongs to the process whose start time
/// was checked. Fields that cannot be read (a zombie has no argv or executable; a kernel
/// thread has neither) stay null.
/// </summary>
internal sealed class ProcessReader
{
    private readonly SystemBoot _boot;
    private readonly AccountNames _names;
    private const int CgroupCacheCapacity = 4096;
    private readonly Dictionary<ulong, string> _cgroupPaths = [];

    public ProcessReader(bool includeEnvironment = false, SystemBoot? boot = null, AccountNames? names = null)
    {
        IncludeEnvironment = includeEnvironment;
        _boot = boot ?? SystemBoot.Shared;
        _names = names ?? AccountNames.Shared;
    }

    public bool IncludeEnvironment { get; }
    public SystemBoot Boot => _boot;
    public AccountNames Names => _names;

    /// <summary>
    /// Reads /proc/PID into plain values (<see cref="ProcessAssembler"/> builds the model). With
    /// <paramref name="expectedStartTicks"/>, fails when the pid now belongs to another process
    /// (see <see cref="PidReuseGuard"/>). Set <paramref name="readArgs"/> false when argv is
    /// already known (the procfs backend's scan read it).
    /// </summary>
    public bool TryRead(int pid, ulong? expectedStartTicks, bool expectedIsExact, bool readArgs, out ProcRead read)
    {
        read = default;
        ProcStat stat;
        if (!ProcessDirectory.TryOpen(pid, out ProcessDirectory dir))
            return false;
        using (dir)
        {
            // The fields a dying process loses first (its memory: argv and executable; its
            // working directory) are read first; stat then vouches that all of it belongs to
            // the expected process (the directory handle pins one process instance).
            IReadOnlyList<string>? args = null;
            if (readArgs && dir.TryReadArgs(out string[] argv) && argv.Length > 0)
                args = argv;
            string? exe = null;
            bool deleted = false;
            bool exeTooLong = false;
            if (dir.TryReadExecutable(out string path, out deleted))
                exe = path;
            else
                exeTooLong = System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Interop.Libc.ENAMETOOLONG; // past one page: /proc cannot name it
            string? cwd = dir.TryReadWorkingDirectory(out string dirPath) ? dirPath : null;
            if (!dir.TryReadStat(out stat))
                return false;
            if (expectedStartTicks is { } expected && !PidReuseGuard.IsSameProcess(stat.StartTimeTicks, expected, expectedIsExact))
                return false;
            if (stat.IsKernelThread)
                args = null;
            IdName? user = null, euser = null, group = null, egroup = null;
            if (dir.TryReadStatus(out ProcStatus status))
            {
                user = UserOf(status.RealUid);
                euser = UserOf(status.EffectiveUid);
                group = GroupOf(status.RealGid);
                egroup = GroupOf(status.EffectiveGid);
            }
            uint? loginUid = dir.TryReadLoginUid(out uint? auid) ? auid : null;
            string? cgroup = CgroupOf(dir, null);
            IReadOnlyList<string>? environment = null;
            if (IncludeEnvironment && !stat.IsKernelThread && dir.TryReadEnvironment(out string[] env))
                environment = env;

            read = new ProcRead(stat, args, exe, deleted, exeTooLong, cwd, user, euser, group, egroup, loginUid, cgroup, environment);
            return true;
        }
    }

    /// <summary>
    /// Reads only what a kernel capture left unknown, through one <see cref="ProcessDirectory"/>
    /// checked against the exact start ticks. False when the process is gone or the pid is
    /// another process's now; then nothing is returned.
    /// </summary>
    public bool TryReadMissing(int pid, ulong startTicks, MissingFields wanted, ulong? cgroupId, out MissingValues values)
    {
        values = default;
        if (!ProcessDirectory.TryOpen(pid, out ProcessDirectory dir))
            return false;
        using (dir)
        {
            string[]? args = null;
            if ((wanted & MissingFields.Args) != 0 && dir.TryReadArgs(out string[] argv))
                args = argv;
            string? exe = null;
            bool deleted = false;
            if ((wanted & MissingFields.Executable) != 0 && dir.TryReadExecutable(out string path, out deleted))
                exe = path;
            string? cwd = (wanted & MissingFields.WorkingDirectory) != 0 && dir.TryReadWorkingDirectory(out string dirPath) ? dirPath : null;
            string[]? environment = (wanted & MissingFields.Environment) != 0 && dir.TryReadEnvironment(out string[] env) ? env : null;
            string? cgroup = (wanted & MissingFields.Cgroup) != 0 ? CgroupOf(dir, cgroupId) : null;
            if (!dir.TryReadStat(out ProcStat stat) || stat.StartTimeTicks != startTicks)
                return false;
            values = new MissingValues(args, exe, deleted, cwd, environment, cgroup);
            return true;
        }
    }

    /// <summary>
    /// The cgroup path: from the cache when the cgroup id is known (most execs happen in a
    /// few cgroups), else from /proc/PID/cgroup. A path is cached under the id only once the
    /// cgroup2 directory at that path is shown to have that id (inode): the process may have
    /// moved to another cgroup between its exec and this read (runc init, desktop app scopes),
    /// and its new path must not stand for the old id. Bounded: cleared when full.
    /// </summary>
    private string? CgroupOf(ProcessDirectory dir, ulong? cgroupId)
    {
        if (cgroupId is { } id && _cgroupPaths.TryGetValue(id, out string? cached))
            return cached;
        if (!dir.TryReadCgroup(out string path, out bool unified))
            return null;
        // Only a v2 path can match a v2 id (on a v1-only host every process shares the root's).
        if (cgroupId is { } key && unified && Cgroup2Mount.Names(path, key))
        {
            if (_cgroupPaths.Count >= CgroupCacheCapacity)
                _cgroupPaths.Clear();
            _cgroupPaths[key] = path;
        }
        return path;
    }

    /// <summary>The cgroup path known for this eBPF cgroup id, without reading /proc (for a process already gone).</summary>
    public string? CachedCgroupPath(ulong cgroupId) => _cgroupPaths.GetValueOrDefault(cgroupId);

    public IdName UserOf(uint uid) => new(uid, _names.UserName(uid));

    public IdName GroupOf(uint gid) => new(gid, _names.GroupName(gid));

    /// <summary>
    /// <c>process.entity_id</c> of a process known by stat's start ticks: its start as
    /// nanoseconds is the tick's first (see <see cref="EntityIdOfBootNs"/>).
    /// </summary>
    public string EntityId(int pid, ulong startTicks) => EntityIds.Format(_boot.BootId, pid, _boot.StartTicksToBootNs(startTicks));

    /// <summary>
    /// <c>process.entity_id</c>: boot id, pid and start in ns since boot ("BOOTID-PID-NS", the
    /// boot id's 32 hex digits): unique across reboots and pid reuse. The kernel's
    /// start_boottime (eBPF) is exact to the nanosecond; /proc's 10 ms ticks are not, so two
    /// processes on one pid within one tick can share an id only where the kernel record is
    /// missing (connector-only and procfs backends, processes older than procwatch).
    /// </summary>
    public string EntityIdOfBootNs(int pid, ulong startBootNs) => EntityIds.Format(_boot.BootId, pid, startBootNs);
}

/// <summary>Formats <c>process.entity_id</c>.</summary>
internal static class EntityIds
{
    public static string Format(string bootId, int pid, ulong startBootNs)
    {
        Span<char> buffer = stackalloc char[96];
        int n = 0;
        foreach (char c in bootId)
        {
            if (c != '-' && n < 40)
                buffer[n++] = c;
        }
        buffer[n++] = '-';
        pid.TryFormat(buffer[n..], out int w, default, System.Globalization.CultureInfo.InvariantCulture);
        n += w;
        buffer[n++] = '-';
        startBootNs.TryFormat(buffer[n..], out w, default, System.Globalization.CultureInfo.InvariantCulture);
        n += w;
        return new string(buffer[..n]);
    }
}

/// <summary>What <see cref="ProcessReader.TryReadMissing"/> is asked to read.</summary>
[Flags]
internal enum MissingFields
{
    None = 0,
    Args = 1,
    Executable = 2,
    WorkingDirectory = 4,
    Environment = 8,
    Cgroup = 16,
}

/// <summary>What <see cref="ProcessReader.TryReadMissing"/> read; null where not asked or unreadable.</summary>
internal readonly record struct MissingValues(
    IReadOnlyList<string>? Args, string? Executable, bool ExecutableDeleted, string? WorkingDirectory,
    IReadOnlyList<string>? Environment, string? CgroupPath);
