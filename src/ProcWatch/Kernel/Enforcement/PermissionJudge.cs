using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Events;
using ProcWatch.Interop;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Text;
using ProcWatch.Tracking;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>One exec judged at the fanotify level: the rule that refuses it (or -1), and what was read to decide.</summary>
internal struct PermissionVerdict
{
    public int Rule;
    public bool Audit;
    /// <summary>Some rule's file condition holds for this file: it must be judged again at every exec (no ignore mark).</summary>
    public bool FileMatched;
    public FileIdentity File;
    public uint Nlink;
    public uint FileType;
    public bool PathDeleted;
    public ExecCaller Caller;
    public bool CallerKnown;
    /// <summary>sha256 rules apply and this file could not be hashed (too large, unreadable, over the budget): no ignore mark, asked again next time.</summary>
    public bool HashMissing;
}

/// <summary>
/// The fanotify gate's judgement, the same as bpf/deny.bpf.c's <c>judge()</c> on the same
/// compiled <see cref="KernelPolicy"/>: the file's identity (fstat of the event's descriptor)
/// in <see cref="KernelPolicy.Files"/> or among the files hashed to a denied SHA-256; each
/// directory above it; fileless (no link left); rules with no file condition; then per rule
/// the real or effective uid, the cgroup (or an ancestor) and the parent's executable. An
/// enforcing rule wins over an audit one. Used by the gate's thread only (its buffers are reused).
/// <para>
/// With <c>sha256</c> rules, a file not yet known to hash to a denied digest is hashed here,
/// from the event's descriptor, before the exec is answered: a fresh copy of a denied program
/// is refused at its first exec (the BPF program alone can only refuse files ProcWatch hashed
/// before). Once per file version: an allowed file then gets its ignore mark (cleared by the
/// kernel when the file is written to), and its version is remembered as clean
/// (<see cref="CleanVersions"/>; not a version changed just before: <see cref="Remember"/>).
/// </para>
/// </summary>
internal sealed class PermissionJudge
{
    private const int DeletedSuffixLength = 10; // " (deleted)"
    private const int CgroupLevels = 16;
    private readonly List<uint> _candidates = new(16);
    private readonly HashSet<FileIdentity> _protectedFiles;
    private readonly int _self = Environment.ProcessId;
    private readonly byte[] _hashBuffer = new byte[128 * 1024];
    private readonly HashSet<ExecutableVersion> _clean = new(); // versions hashed to a digest no rule of _cleanUnder denies; gate thread only
    private KernelPolicy? _cleanUnder;
    private long _hashedBeforeAnswer, _tooLargeToHash, _unhashable, _overBudget;
    private long _budgetWindowStart, _budgetSpent;

    /// <summary>
    /// Gate time per second that hashing may take. Every exec on the host waits while the gate
    /// hashes, and a user can make new file versions as fast as it can write one byte: beyond
    /// this share, an unknown file is answered without its hash (its first exec runs, as at the
    /// levels below; counted in <see cref="OverBudget"/>, and its exec event carries the hash).
    /// </summary>
    internal static readonly TimeSpan HashBudgetPerSecond = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The largest file hashed before its exec is answered: about 10 ms of SHA-256 here (from
    /// the page cache), once per version, while every exec on the host waits. A larger one is
    /// allowed by <c>sha256</c> rules (counted in <see cref="TooLargeToHash"/>); the hasher still
    /// hashes it for its exec event (up to <c>--hash-max-size</c>), and the digest then joins
    /// the deny set for its next exec.
    /// </summary>
    internal const long HashMaxBytes = 16L * 1024 * 1024;

    /// <summary>Versions remembered as hashed to a digest no rule denies; beyond it the set starts again.</summary>
    internal const int CleanVersions = 4096;

    /// <summary>Files hashed before their exec was answered.</summary>
    internal long HashedBeforeAnswer => Interlocked.Read(ref _hashedBeforeAnswer);

    /// <summary>Files over <see cref="HashMaxBytes"/>, not hashed before their exec was answered.</summary>
    internal long TooLargeToHash => Interlocked.Read(ref _tooLargeToHash);

    /// <summary>Files that could not be hashed before their exec was answered (unreadable, or written to during each of 3 reads).</summary>
    internal long Unhashable => Interlocked.Read(ref _unhashable);

    /// <summary>Files answered without their hash because hashing had used <see cref="HashBudgetPerSecond"/>.</summary>
    internal long OverBudget => Interlocked.Read(ref _overBudget);

    /// <summary>
    /// Told (on the gate's thread; must not block) of each file the gate found hashing to a
    /// denied digest, so the kernel's deny set learns it too.
    /// </summary>
    internal Action<FileIdentity, string>? DeniedHashFound { get; set; }

    /// <param name="protectedFiles">Init, ProcWatch, the action programs: never denied.</param>
    internal PermissionJudge(IEnumerable<FileIdentity> protectedFiles) => _protectedFiles = [.. protectedFiles];

    /// <summary>Files whose hash a rule denies (from the hasher), with their digest; read at every judgement.</summary>
    internal ConcurrentDictionary<FileIdentity, string> Hashed { get; } = new();

    /// <param name="fd">The event's descriptor: the file being opened for execution.</param>
    /// <param name="tid">The thread that execs (FAN_REPORT_TID).</param>
    internal unsafe PermissionVerdict Judge(KernelPolicy policy, int fd, int tid)
    {
        var v = new PermissionVerdict { Rule = -1 };
        byte empty = 0;
        // AT_STATX_DONT_SYNC: what the inode holds, no round trip to a remote or FUSE server.
        if (!FileIdentity.TryStatAt(fd, &empty, Libc.AT_EMPTY_PATH | Libc.AT_STATX_DONT_SYNC, out v.File, out v.FileType, out v.Nlink))
            throw new IOException("fstat of the exec'd file failed"); // the gate allows and counts it
        if (_protectedFiles.Contains(v.File))
            return v;
        _candidates.Clear();
        if (policy.Files.TryGetValue(v.File, out List<uint>? files))
            _candidates.AddRange(files);
        if (policy.Hashes.Count > 0 && DeniedDigest(policy, fd, v.File, ref v.HashMissing) is { } sha && policy.Hashes.TryGetValue(sha, out List<uint>? byHash))
            _candidates.AddRange(byHash);
        if (v.Nlink == 0)
            _candidates.AddRange(policy.Fileless);
        _candidates.AddRange(policy.AnyFile);
        if (policy.Directories.Count > 0)
            AddDirectories(policy, fd, ref v);
        if (_candidates.Count == 0)
            return v;
        v.FileMatched = true;
        if (!ExecCaller.TryRead(tid, out v.Caller))
        {
            // Killed while it waited, or not visible to us (a caller in a pid namespace we
            // cannot see is reported as pid 0; hidepid): the file's own conditions still hold,
            // so rules with no user, parent or cgroup condition are judged without the caller.
            if (tid != 1 && !IsOwnThread(tid))
                MatchWithoutCaller(policy, ref v);
            return v;
        }
        v.CallerKnown = true;
        if (v.Caller.Tgid == 1 || v.Caller.Tgid == _self)
            return v;
        ulong? cgroupId = null;
        FileIdentity? parentExe = null;
        bool parentRead = false;
        foreach (uint index in _candidates)
        {
            if (index >= policy.KernelRules.Length)
                continue;
            deny_rule k = policy.KernelRules[index];
            if ((k.flags & deny_rule_flags.DENY_RULE_UID) != 0 && k.uid != v.Caller.Uid && k.uid != v.Caller.EffectiveUid)
                continue;
            if ((k.flags & deny_rule_flags.DENY_RULE_PARENT) != 0)
            {
                if (!parentRead)
                {
                    parentRead = true;
                    if (TryStatParentExe(v.Caller.ParentPid, out FileIdentity p))
                        parentExe = p;
                }
                if (parentExe != new FileIdentity(k.parent_dev, k.parent_ino))
                    continue;
            }
            if ((k.flags & deny_rule_flags.DENY_RULE_CGROUP) != 0 && !InCgroup(tid, k.cgroup_id, ref cgroupId))
                continue;
            bool audit = (k.flags & deny_rule_flags.DENY_RULE_AUDIT) != 0;
            if (v.Rule < 0 || !audit)
            {
                v.Rule = (int)index;
                v.Audit = audit;
            }
            if (!audit)
                break;
        }
        return v;
    }

    /// <summary>The digest a rule denies that this file has: known, or hashed now from the event's descriptor; null when none.</summary>
    private string? DeniedDigest(KernelPolicy policy, int fd, FileIdentity file, ref bool missing)
    {
        if (Hashed.TryGetValue(file, out string? known))
            return known;
        // The full version (ctime too, which no user can set back): a rewrite is hashed again.
        if (!FileVersion.TryRead(fd, out ExecutableVersion version, out bool regular) || !regular)
        {
            missing = true;
            return null;
        }
        if (!ReferenceEquals(_cleanUnder, policy))
        {
            _clean.Clear(); // a reload may deny what was clean
            _cleanUnder = policy;
        }
        if (_clean.Contains(version))
            return null;
        string? sha = HashBeforeAnswer(fd, version, out ExecutableVersion hashed);
        if (sha is null)
        {
            missing = true;
            return null;
        }
        if (!policy.Hashes.ContainsKey(sha))
        {
            Remember(hashed);
            return null;
        }
        if (Hashed.Count < DenyLimits.FILES_MAX)
            Hashed.TryAdd(file, sha);
        DeniedHashFound?.Invoke(file, sha);
        return sha;
    }

    /// <summary>
    /// Remembers a version hashed clean, unless it changed so recently that a rewrite in the same
    /// clock tick could keep its times (timestamps move once per tick before Linux 6.13; git's
    /// "racily clean" rule).
    /// </summary>
    private void Remember(ExecutableVersion version)
    {
        long nowNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        if (nowNs - Math.Max(version.CtimeNs, version.MtimeNs) < RacilyCleanNs)
            return;
        if (_clean.Count >= CleanVersions)
            _clean.Clear();
        _clean.Add(version);
    }

    private const long RacilyCleanNs = 50_000_000;

    /// <summary>
    /// SHA-256 of the file being exec'd, read through the event's descriptor (the file the
    /// kernel is about to run, whatever its path is now). A read that the file's size, mtime or
    /// ctime moved under is read again, up to 3 times. Only while hashing has taken less than
    /// <see cref="HashBudgetPerSecond"/> of the current second.
    /// </summary>
    private string? HashBeforeAnswer(int fd, ExecutableVersion version, out ExecutableVersion hashed)
    {
        hashed = default;
        long now = Stopwatch.GetTimestamp();
        if (now - _budgetWindowStart >= Stopwatch.Frequency)
            (_budgetWindowStart, _budgetSpent) = (now, 0);
        if (_budgetSpent >= (long)(HashBudgetPerSecond.TotalSeconds * Stopwatch.Frequency))
        {
            Interlocked.Increment(ref _overBudget);
            return null;
        }
        try
        {
            return HashWithRetries(fd, version, out hashed);
        }
        finally
        {
            _budgetSpent += Stopwatch.GetTimestamp() - now;
        }
    }

    /// <param name="version">The file's version, read just before: the first read's; read again for each retry.</param>
    private string? HashWithRetries(int fd, ExecutableVersion version, out ExecutableVersion hashed)
    {
        hashed = default;
        using var handle = new SafeFileHandle(fd, ownsHandle: false); // the gate closes the event's descriptor
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (attempt > 0 && (!FileVersion.TryRead(fd, out version, out bool regular) || !regular))
                break;
            if (version.Size > HashMaxBytes)
            {
                Interlocked.Increment(ref _tooLargeToHash);
                return null;
            }
            if (FileHashing.Hash(handle, version, _hashBuffer, out _) is { } sha) // size, mtime and ctime unmoved by the read
            {
                hashed = version;
                Interlocked.Increment(ref _hashedBeforeAnswer);
                return sha;
            }
        }
        Interlocked.Increment(ref _unhashable);
        return null;
    }

    /// <summary>
    /// Each directory above the file, by the path its descriptor has now (readlink of
    /// /proc/self/fd/N), each stat'ed like the kernel program walks dentries (a mount's root is
    /// the directory stat shows there). A rename racing with the exec can make this path
    /// newer than the one exec'd: moving the file out of a denied directory at that moment is
    /// the same as moving it before the exec, which a directory rule allows too (an
    /// <c>executables:</c> rule follows the inode); moving it in is judged as in.
    /// </summary>
    private unsafe void AddDirectories(KernelPolicy policy, int fd, ref PermissionVerdict v)
    {
        byte* path = stackalloc byte[PathMax + 1];
        if (!TryReadPath(fd, path, v.Nlink, out int length, out v.PathDeleted) || path[0] != (byte)'/')
            return; // a pseudo file (memfd:, anon_inode:) or too long: below no directory of ours
        // Cut the path at each '/' from the end: "/a/b/prog" → "/a/b", "/a", "/".
        for (int i = length - 1; i >= 0; i--)
        {
            if (path[i] != (byte)'/')
                continue;
            byte saved = path[i == 0 ? 1 : i];
            path[i == 0 ? 1 : i] = 0;
            // No symlink followed (a component swapped for one after the readlink would take
            // the walk elsewhere), no automount triggered, no remote revalidation of what is cached.
            if (FileIdentity.TryStatAt(Libc.AT_FDCWD, path, WalkFlags, out FileIdentity dir, out _, out _) &&
                policy.Directories.TryGetValue(dir, out List<uint>? refs))
                _candidates.AddRange(refs);
            path[i == 0 ? 1 : i] = saved;
        }
    }

    private const int PathMax = 4096;
    private const int WalkFlags = Libc.AT_SYMLINK_NOFOLLOW | Libc.AT_NO_AUTOMOUNT | Libc.AT_STATX_DONT_SYNC;

    /// <summary>The caller's parent's executable (its exe link, which names the file without a path walk), without a round trip to a remote server.</summary>
    private static unsafe bool TryStatParentExe(int parentPid, out FileIdentity identity)
    {
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(path, parentPid, "exe"u8);
        fixed (byte* p = path)
            return FileIdentity.TryStatAt(Libc.AT_FDCWD, p, Libc.AT_STATX_DONT_SYNC, out identity, out _, out _);
    }

    /// <summary>A thread of this process (the gate never denies ProcWatch's own execs).</summary>
    private unsafe bool IsOwnThread(int tid)
    {
        if (tid <= 0)
            return false;
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.FormatTask(path, _self, tid, "stat"u8);
        fixed (byte* p = path)
            return FileIdentity.TryStatAt(Libc.AT_FDCWD, p, Libc.AT_STATX_DONT_SYNC, out _, out _, out _);
    }

    /// <summary>The first matching rule among the candidates that has no condition on the caller (enforcing before audit).</summary>
    private void MatchWithoutCaller(KernelPolicy policy, ref PermissionVerdict v)
    {
        foreach (uint index in _candidates)
        {
            if (index >= policy.KernelRules.Length)
                continue;
            deny_rule k = policy.KernelRules[index];
            if ((k.flags & (deny_rule_flags.DENY_RULE_UID | deny_rule_flags.DENY_RULE_PARENT | deny_rule_flags.DENY_RULE_CGROUP)) != 0)
                continue;
            bool audit = (k.flags & deny_rule_flags.DENY_RULE_AUDIT) != 0;
            if (v.Rule < 0 || !audit)
            {
                v.Rule = (int)index;
                v.Audit = audit;
            }
            if (!audit)
                break;
        }
    }

    /// <summary>The path of the open file <paramref name="fd"/> (readlink of /proc/self/fd/N), " (deleted)" cut off a file with no link.</summary>
    internal static unsafe bool TryReadPath(int fd, byte* path, uint nlink, out int length, out bool deleted)
    {
        byte* link = stackalloc byte[32];
        ReadOnlySpan<byte> prefix = "/proc/self/fd/"u8;
        var span = new Span<byte>(link, 32);
        prefix.CopyTo(span);
        System.Buffers.Text.Utf8Formatter.TryFormat(fd, span[prefix.Length..], out int digits);
        span[prefix.Length + digits] = 0;
        nint n = Libc.ReadLinkAt(Libc.AT_FDCWD, link, path, PathMax);
        length = (int)n;
        deleted = false;
        if (n <= 0 || n >= PathMax)
            return false;
        if (nlink == 0 && new ReadOnlySpan<byte>(path, length).EndsWith(" (deleted)"u8))
        {
            length -= DeletedSuffixLength;
            deleted = true;
        }
        path[length] = 0;
        return true;
    }

    /// <summary>As a string (for a denial's event).</summary>
    internal static unsafe string? ReadPath(int fd, uint nlink, out bool deleted)
    {
        byte* path = stackalloc byte[PathMax + 1];
        return TryReadPath(fd, path, nlink, out int length, out deleted) ? ProcText.Decode(new ReadOnlySpan<byte>(path, length)) : null;
    }

    /// <summary>The thread's cgroup v2 directory, or one above it, has this id (its inode number).</summary>
    private static bool InCgroup(int tid, ulong id, ref ulong? ownId)
    {
        if (!ProcCgroup.TryRead(tid, out string path) || Cgroup2Mount.Path is not { } mount || !path.StartsWith('/'))
            return false;
        string dir = path == "/" ? mount : mount + path;
        for (int level = 0; level <= CgroupLevels && dir.Length >= mount.Length; level++)
        {
            if (FileIdentity.TryStat(dir, followLinks: false, out FileIdentity? d, out _))
            {
                ownId ??= d.Value.Inode;
                if (d.Value.Inode == id)
                    return true;
            }
            int slash = dir.LastIndexOf('/');
            if (slash < mount.Length)
                break;
            dir = dir[..slash];
        }
        return false;
    }
}
