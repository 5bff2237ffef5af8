using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Interop;

namespace ProcWatch.Tracking;

/// <summary>How executables are hashed (<c>--no-hash</c>, <c>--hash-max-size</c>, daemon <c>hash:</c>).</summary>
internal sealed record HashOptions
{
    public const long DefaultMaxBytes = 64L * 1024 * 1024;

    public bool Enabled { get; init; } = true;

    /// <summary>Files larger than this are not read ("too_large").</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>File versions remembered (least recently used forgotten beyond it).</summary>
    public int CacheCapacity { get; init; } = 4096;

    /// <summary>Files waiting for the worker; beyond it an exec says "queue_full".</summary>
    public int QueueCapacity { get; init; } = 256;
}

/// <summary>
/// SHA-256 of executables, once per file version (<see cref="ExecutableVersion"/>). The
/// pipeline's thread only looks up the cache: a known version gets its hash at once, a new
/// one is queued for a background worker and the exec says "pending" (the event is never
/// held back for a read of up to 64 MiB); every later exec of that version carries the hash.
/// The worker opens the path the kernel walked, else /proc/PID/exe (a process in another
/// mount namespace), and hashes only when statx shows the very version that ran, before and
/// after the read.
/// </summary>
internal sealed class ExecutableHasher
{
    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(5);
    private readonly HashOptions _options;
    private readonly ExecutableHashCache _cache;
    private readonly Queue<HashJob> _queue = new();
    private readonly object _lock = new(); // Monitor.Wait/Pulse: not System.Threading.Lock
    private bool _workerRunning;
    private bool _busy;
    private long _queueFull;
    private long _hashed;

    private readonly record struct HashJob(int Pid, string Path, ExecutableVersion Version);

    public ExecutableHasher(HashOptions options)
    {
        _options = options;
        _cache = new ExecutableHashCache(options.CacheCapacity);
    }

    public ExecutableHashCache Cache => _cache;

    /// <summary>Called on the hashing thread with each file version hashed (deny rules by SHA-256 listen here).</summary>
    internal Action<ExecutableVersion, string>? Hashed { get; set; }

    /// <summary>Execs not hashed because the worker's queue was full.</summary>
    public long QueueFullCount => Interlocked.Read(ref _queueFull);

    /// <summary>Files the worker hashed.</summary>
    public long HashedCount => Interlocked.Read(ref _hashed);

    /// <summary>The hash of the executable that ran, or why there is none. Pipeline thread; never blocks on a read.</summary>
    public (string? Sha256, string? Status) Lookup(int pid, string? path, ExecutableVersion? version, bool deleted, bool memfd)
    {
        if (memfd)
            return (null, HashStatuses.Memfd);
        if (deleted)
            return (null, HashStatuses.Deleted);
        if (version is not { } v || path is null)
            return (null, HashStatuses.Unavailable);
        if (v.Size > _options.MaxBytes)
            return (null, HashStatuses.TooLarge);
        if (_cache.TryGet(v, out string? sha256, out string? status))
            return (sha256, status);
        lock (_lock)
        {
            if (_queue.Count >= _options.QueueCapacity)
            {
                _queueFull++;
                return (null, HashStatuses.QueueFull);
            }
            _cache.AddPending(v);
            _queue.Enqueue(new HashJob(pid, path, v));
            if (!_workerRunning)
            {
                // Started on demand and gone after a quiet while: a watcher that is dropped
                // without being disposed leaves no thread behind.
                _workerRunning = true;
                new Thread(Work) { IsBackground = true, Name = "procwatch-hash", Priority = ThreadPriority.BelowNormal }.Start();
            }
            else
            {
                Monitor.Pulse(_lock);
            }
        }
        return (null, HashStatuses.Pending);
    }

    /// <summary>Waits until the worker has drained its queue (tests).</summary>
    internal bool WaitIdle(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            lock (_lock)
            {
                if (_queue.Count == 0 && !_busy)
                    return true;
            }
            if (Environment.TickCount64 > deadline)
                return false;
            Thread.Sleep(2);
        }
    }

    private void Work()
    {
        byte[] buffer = new byte[128 * 1024];
        while (true)
        {
            HashJob job;
            lock (_lock)
            {
                _busy = false;
                if (_queue.Count == 0 && !Monitor.Wait(_lock, IdleExit) && _queue.Count == 0)
                {
                    _workerRunning = false;
                    return;
                }
                if (!_queue.TryDequeue(out job))
                    continue;
                _busy = true;
            }
            string? status = HashStatuses.Unreadable;
            string? sha256 = TryHash(job.Path, job.Version, buffer, ref status);
            if (sha256 is null && status == HashStatuses.Unreadable)
                sha256 = TryHash($"/proc/{job.Pid}/exe", job.Version, buffer, ref status); // another mount namespace, or renamed
            if (sha256 is not null)
                Interlocked.Increment(ref _hashed);
            _cache.Complete(job.Version, sha256, status);
            if (sha256 is not null)
                Hashed?.Invoke(job.Version, sha256);
        }
    }

    /// <summary>
    /// The hash of <paramref name="path"/> when it is still <paramref name="version"/>; else
    /// null with <paramref name="status"/> "unreadable" (not that file) or "changed" (that
    /// file, rewritten since the exec).
    /// </summary>
    private string? TryHash(string path, ExecutableVersion version, byte[] buffer, ref string? status)
    {
        // O_NONBLOCK: a path swapped for a FIFO must not hang the worker in open().
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
        if (fd < 0)
            return null;
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (!FileVersion.TryRead(fd, out ExecutableVersion found, out bool regular) || !regular || !SameFile(found, version))
            return null;
        if (!SameVersion(found, version))
        {
            status = HashStatuses.Changed;
            return null;
        }
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long offset = 0;
        while (offset <= version.Size)
        {
            int n = RandomAccess.Read(handle, buffer, offset);
            if (n <= 0)
                break;
            sha.AppendData(buffer, 0, n);
            offset += n;
        }
        if (offset != version.Size || !FileVersion.TryRead(fd, out ExecutableVersion after, out _) || !SameVersion(after, version))
        {
            status = HashStatuses.Changed; // written while we read it
            return null;
        }
        Span<byte> digest = stackalloc byte[32];
        sha.GetHashAndReset(digest);
        return Convert.ToHexStringLower(digest);
    }

    private static bool SameFile(ExecutableVersion a, ExecutableVersion b) => a.Device == b.Device && a.Inode == b.Inode;

    // Times 0: a kernel without inode times in its BTF; size and inode then decide.
    private static bool SameVersion(ExecutableVersion found, ExecutableVersion v) =>
        SameFile(found, v) && found.Size == v.Size
        && (v.MtimeNs == 0 || found.MtimeNs == v.MtimeNs) && (v.CtimeNs == 0 || found.CtimeNs == v.CtimeNs);

    private const int O_NONBLOCK = 0x800;
    private const int O_NOCTTY = 0x100;
}
