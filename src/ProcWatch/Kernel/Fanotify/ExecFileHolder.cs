using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Events;
using ProcWatch.Interop;
using ProcWatch.Tracking;

namespace ProcWatch.Kernel.Fanotify;

/// <summary>
/// Keeps hold of every executed file from the moment of its exec (issue 22 item 2): fanotify
/// <c>FAN_OPEN_EXEC</c> notifications on every local filesystem hand over an open descriptor
/// of the file being executed, so a binary that unlinks itself and exits within milliseconds
/// can still be read and hashed. Notification events only: a permission event
/// (<c>FAN_OPEN_EXEC_PERM</c>) would make every exec on the host wait for this process.
/// The descriptors are kept, keyed by device, inode, size and mtime (not ctime: an unlink moves it), at most <see cref="Capacity"/> of
/// them and for at most <see cref="MaxAge"/>: the hasher takes the one it needs. A full
/// kernel queue only means fewer files held (counted), never a slower exec.
/// <para>
/// Cost: every notification makes the kernel open the file into this process, which doubled
/// procwatch's CPU per exec (bench/README.md, issue 22). A file whose version is already hashed
/// needs no holding, so its inode gets an ignore mark: the kernel stops reporting its execs
/// until the file is written to (an ignore mask without <c>FAN_MARK_IGNORED_SURV_MODIFY</c> is
/// cleared by the first modification), so a storm of one program costs one notification.
/// The marks are evictable (they never pin an inode) and at most <see cref="MaxIgnoreMarks"/>
/// (then all are flushed and rebuilt as files run again).
/// </para>
/// <para>
/// Files that are never hashed as an executable are exec'd too: the ELF interpreter
/// (ld-linux) is opened for execution by every dynamically linked exec, so without more it
/// cost a notification (an open file put into this process, a read, a statx, a close) per exec
/// of the host, a fifth of procwatch's CPU in an exec storm (bench/README.md, session 5). So a
/// version notified again while its first descriptor is still held gets an ignore mark too
/// ("quiet"): the held descriptor is the same version, as good as the new one. When the hold
/// ages out, the mark is lifted through that descriptor and it is held one more
/// <see cref="MaxAge"/> ("grace"): an exec during the quiet time is thus still held at least
/// <see cref="MaxAge"/> after it, an exec during the grace is reported and quiets the file
/// again, and a file that stopped running is let go. A storm of one dynamically linked
/// program costs two notifications of its interpreter per <see cref="MaxAge"/>.
/// </para>
/// </summary>
internal sealed class ExecFileHolder : IDisposable
{
    public const int Capacity = 256;
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(3);
    public const int MaxIgnoreMarks = 8192;

    private readonly int _fd;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly Lock _lock = new();
    private readonly Dictionary<(uint Device, ulong Inode, long Size, long MtimeNs), Held> _held = new(Capacity);
    private readonly Queue<((uint Device, ulong Inode, long Size, long MtimeNs) Key, long Stamp)> _order = new();
    private volatile bool _stopping;
    private long _overflows;
    private long _taken;
    private long _ignoreMarks;
    private long _notifications;
    private long _quieted;
    private long _readThroughNs;
    private int _liveIgnoreMarks;
    private uint _evictable = Libc.FAN_MARK_EVICTABLE;

    /// <param name="Quiet">An ignore mark stops the kernel reporting this inode; it is lifted through <paramref name="File"/> before the descriptor goes.</param>
    private readonly record struct Held(SafeFileHandle File, long Stamp, bool Quiet = false);

    private ExecFileHolder(int fd, int wake, int marks)
    {
        _fd = fd;
        _wake = wake;
        Filesystems = marks;
        _thread = new Thread(Run) { IsBackground = true, Name = "procwatch-execfiles" };
        _thread.Start();
    }

    /// <summary>Filesystems marked.</summary>
    public int Filesystems { get; }

    /// <summary>Kernel queue overflows (files not held).</summary>
    public long Overflows => Interlocked.Read(ref _overflows);

    /// <summary>Files the hasher took.</summary>
    public long Taken => Interlocked.Read(ref _taken);

    /// <summary>Notifications read (one per exec of a file not yet marked ignored).</summary>
    public long Notifications => Interlocked.Read(ref _notifications);

    /// <summary>Ignore marks added for files already hashed, whose later execs the kernel no longer reports (quiet files: <see cref="Quieted"/>).</summary>
    public long IgnoreMarks => Interlocked.Read(ref _ignoreMarks);

    /// <summary>Files quieted: exec'd again while held (an ELF interpreter), ignored until their hold ages out.</summary>
    public long Quieted => Interlocked.Read(ref _quieted);

    /// <summary>Whether a version's hash is already known (the hasher's cache); set before events flow.</summary>
    public Func<ExecutableVersion, bool>? IsHashed { get; set; }

    /// <summary>Offered each descriptor read, before it is held (the hasher's waiting jobs); true when taken. Set before events flow.</summary>
    public Func<ExecutableVersion, SafeFileHandle, bool>? Wanted { get; set; }

    /// <summary>
    /// Whether every notification queued before <paramref name="monotonicNs"/> (CLOCK_MONOTONIC)
    /// has been read: the kernel queues an exec's notification when it opens the file, before
    /// the exec's record is stamped, so a file not held by then is not coming.
    /// </summary>
    public bool HasReadThrough(long monotonicNs) => Volatile.Read(ref _readThroughNs) >= monotonicNs;

    /// <summary>Starts, or null where fanotify is unavailable (no CAP_SYS_ADMIN, no kernel support).</summary>
    public static ExecFileHolder? TryStart()
    {
        int fd = Libc.FanotifyInit(Libc.FAN_CLASS_NOTIF | Libc.FAN_CLOEXEC | Libc.FAN_NONBLOCK, (uint)(Libc.O_RDONLY | Libc.O_LARGEFILE | Libc.O_CLOEXEC));
        if (fd < 0)
            return null;
        int marks = 0;
        foreach (string mountPoint in LocalFilesystems())
        {
            if (Libc.FanotifyMark(fd, Libc.FAN_MARK_ADD | Libc.FAN_MARK_FILESYSTEM, Libc.FAN_OPEN_EXEC, Libc.AT_FDCWD, mountPoint) == 0)
                marks++;
        }
        int wake = marks == 0 ? -1 : Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (wake < 0)
        {
            Libc.Close(fd);
            return null;
        }
        return new ExecFileHolder(fd, wake, marks);
    }

    /// <summary>The held descriptor of <paramref name="version"/>'s file, handed over (the caller disposes it); null when none.</summary>
    public SafeFileHandle? Take(ExecutableVersion version)
    {
        lock (_lock)
        {
            if (!_held.Remove((version.Device, version.Inode, version.Size, version.MtimeNs), out Held held))
                return null;
            if (held.Quiet)
                Unignore(held.File); // the descriptor leaves: the mark cannot be lifted later
            Interlocked.Increment(ref _taken);
            return held.File;
        }
    }

    /// <summary>One mount point per filesystem (device) that can hold executables: not proc, sysfs, cgroups and the like.</summary>
    /// <param name="skipType">Filesystem types to leave out besides those (the deny gate's: FUSE, network filesystems).</param>
    internal static List<string> LocalFilesystems(Func<string, bool>? skipType = null)
    {
        var points = new List<string>();
        foreach ((string _, string mountPoint) in MountedFilesystems(skipType))
            points.Add(mountPoint);
        return points;
    }

    /// <summary>The same filesystems' devices, "MAJOR:MINOR" in decimal as mountinfo writes them.</summary>
    internal static HashSet<string> LocalFilesystemDevices(Func<string, bool>? skipType = null)
    {
        var devices = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string device, string _) in MountedFilesystems(skipType))
            devices.Add(device);
        return devices;
    }

    private static List<(string Device, string MountPoint)> MountedFilesystems(Func<string, bool>? skipType)
    {
        var seen = new HashSet<string>();
        var points = new List<(string, string)>();
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
            string[] f = line.Split(' ');
            int dash = Array.IndexOf(f, "-");
            if (f.Length < 5 || dash < 0 || dash + 1 >= f.Length)
                continue;
            string type = f[dash + 1];
            if (type is "proc" or "sysfs" or "cgroup" or "cgroup2" or "devpts" or "mqueue" or "debugfs" or "tracefs" or "securityfs"
                or "pstore" or "bpf" or "configfs" or "fusectl" or "hugetlbfs" or "autofs" or "binfmt_misc" or "rpc_pipefs" or "nsfs"
                || skipType?.Invoke(type) == true)
                continue;
            if (seen.Add(f[2]))
                points.Add((f[2], f[4].Replace("\\040", " ", StringComparison.Ordinal)));
        }
        return points;
    }

    private unsafe void Run()
    {
        byte* buffer = stackalloc byte[8192];
        Span<Libc.pollfd> fds = stackalloc Libc.pollfd[2];
        while (!_stopping)
        {
            fds[0] = new Libc.pollfd { fd = _fd, events = Libc.POLLIN };
            fds[1] = new Libc.pollfd { fd = _wake, events = Libc.POLLIN };
            int ready;
            long beforePoll = KernelClock.MonotonicNs();
            fixed (Libc.pollfd* p = fds)
                ready = Libc.Poll(p, 2, 1000);
            if (_stopping)
                break;
            if (ready == 0)
                Volatile.Write(ref _readThroughNs, beforePoll); // nothing came since: all before it was read
            if (ready <= 0)
            {
                Expire();
                continue;
            }
            while (true)
            {
                long beforeRead = KernelClock.MonotonicNs();
                nint n = Libc.Read(_fd, buffer, 8192);
                if (n <= 0)
                {
                    if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EAGAIN)
                        Volatile.Write(ref _readThroughNs, beforeRead); // the queue was empty at this read
                    break;
                }
                long now = Environment.TickCount64;
                for (nint at = 0; FanotifyEvents.Next(buffer, n, ref at, out Libc.fanotify_event_metadata m);)
                {
                    if ((m.mask & Libc.FAN_Q_OVERFLOW) != 0)
                        Interlocked.Increment(ref _overflows);
                    if (m.fd >= 0)
                    {
                        Interlocked.Increment(ref _notifications);
                        Hold(new SafeFileHandle(m.fd, ownsHandle: true), now);
                    }
                }
            }
            Expire();
        }
    }

    private void Hold(SafeFileHandle file, long now)
    {
        if (!FileVersion.TryRead((int)file.DangerousGetHandle(), out ExecutableVersion v, out bool regular) || !regular)
        {
            file.Dispose();
            return;
        }
        if (IsHashed?.Invoke(v) == true)
        {
            if (Ignore((int)file.DangerousGetHandle()))
                Interlocked.Increment(ref _ignoreMarks);
            file.Dispose();
            return;
        }
        if (Wanted?.Invoke(v, file) == true)
        {
            Interlocked.Increment(ref _taken); // a job was waiting for it: handed over, not held
            return;
        }
        var key = (v.Device, v.Inode, v.Size, v.MtimeNs); // droppers reuse inode numbers: the version tells them apart
        lock (_lock)
        {
            if (_held.TryGetValue(key, out Held old))
            {
                // Exec'd again while held: the held descriptor is the same version. Quiet the
                // inode (see the remarks; a quiet one reported again lost its mark to a flush)
                // and keep holding it from now.
                if (Ignore((int)file.DangerousGetHandle()))
                {
                    if (!old.Quiet)
                        Interlocked.Increment(ref _quieted);
                    file.Dispose();
                    _held[key] = old with { Stamp = now, Quiet = true };
                    _order.Enqueue((key, now));
                    return;
                }
                _held.Remove(key);
                Release(old); // no mark: the newest open of the same file is as good
            }
            while (_held.Count >= Capacity && _order.TryDequeue(out var oldest))
            {
                if (_held.TryGetValue(oldest.Key, out Held h) && h.Stamp == oldest.Stamp)
                {
                    _held.Remove(oldest.Key);
                    Release(h);
                }
            }
            _held[key] = new Held(file, now);
            _order.Enqueue((key, now));
            if (_order.Count > 4 * Capacity)
            {
                // One file exec'd over and over leaves stale entries behind: keep the live ones only.
                var live = new Queue<((uint Device, ulong Inode, long Size, long MtimeNs) Key, long Stamp)>(_held.Count);
                foreach (var entry in _order)
                {
                    if (_held.TryGetValue(entry.Key, out Held h) && h.Stamp == entry.Stamp)
                        live.Enqueue(entry);
                }
                _order.Clear();
                foreach (var entry in live)
                    _order.Enqueue(entry);
            }
        }
    }

    /// <summary>
    /// Stops the kernel reporting execs of the open file's inode until it is modified. Holder
    /// thread only. A kernel without evictable marks (before 5.19) gets plain ones, which pin
    /// their inodes: the bound keeps that small.
    /// </summary>
    private bool Ignore(int fileFd)
    {
        if (Volatile.Read(ref _liveIgnoreMarks) >= MaxIgnoreMarks)
        {
            Libc.FanotifyMark(_fd, Libc.FAN_MARK_FLUSH, 0, Libc.AT_FDCWD, null); // inode marks only: the filesystem marks stay
            Interlocked.Exchange(ref _liveIgnoreMarks, 0);
        }
        uint flags = Libc.FAN_MARK_ADD | Libc.FAN_MARK_IGNORED_MASK;
        int rc = Libc.FanotifyMark(_fd, flags | _evictable, Libc.FAN_OPEN_EXEC, fileFd, null);
        if (rc != 0 && _evictable != 0 && Marshal.GetLastPInvokeError() == Libc.EINVAL)
        {
            _evictable = 0;
            rc = Libc.FanotifyMark(_fd, flags, Libc.FAN_OPEN_EXEC, fileFd, null);
        }
        if (rc == 0)
            Interlocked.Increment(ref _liveIgnoreMarks);
        return rc == 0;
    }

    /// <summary>
    /// Lifts the ignore mark of the open file's inode (gone already after a flush or a write:
    /// harmless) and counts it off the bound, so quiet files cycling do not fill it. Any thread.
    /// </summary>
    private void Unignore(SafeFileHandle file)
    {
        int rc = Libc.FanotifyMark(_fd, Libc.FAN_MARK_REMOVE | Libc.FAN_MARK_IGNORED_MASK, Libc.FAN_OPEN_EXEC, (int)file.DangerousGetHandle(), null);
        if (rc == 0 && Interlocked.Decrement(ref _liveIgnoreMarks) < 0)
            Interlocked.Increment(ref _liveIgnoreMarks); // a mark counted before a flush
    }

    /// <summary>A quiet file's mark is lifted before its descriptor goes.</summary>
    private void Release(Held held)
    {
        if (held.Quiet)
            Unignore(held.File);
        held.File.Dispose();
    }

    private void Expire()
    {
        long cutoff = Environment.TickCount64 - (long)MaxAge.TotalMilliseconds;
        lock (_lock)
        {
            long now = Environment.TickCount64;
            while (_order.TryPeek(out var oldest) && oldest.Stamp < cutoff)
            {
                _order.Dequeue();
                if (!_held.TryGetValue(oldest.Key, out Held h) || h.Stamp != oldest.Stamp)
                    continue;
                if (h.Quiet)
                {
                    // Quiet until now: execs since were not reported. Lift the mark, and hold
                    // one more MaxAge for them (the grace); the next exec is reported again.
                    Unignore(h.File);
                    _held[oldest.Key] = new Held(h.File, now);
                    _order.Enqueue((oldest.Key, now));
                    continue;
                }
                _held.Remove(oldest.Key);
                h.File.Dispose();
            }
        }
    }

    public void Dispose()
    {
        if (_stopping)
            return;
        _stopping = true;
        unsafe
        {
            ulong one = 1;
            Libc.Write(_wake, (byte*)&one, 8);
        }
        _thread.Join(TimeSpan.FromSeconds(2));
        Libc.Close(_fd);
        Libc.Close(_wake);
        lock (_lock)
        {
            foreach (Held h in _held.Values)
                h.File.Dispose();
            _held.Clear();
            _order.Clear();
        }
    }
}
