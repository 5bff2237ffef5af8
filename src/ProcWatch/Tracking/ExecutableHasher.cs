using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Events;

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

    /// <summary>
    /// A file up to this size is hashed on the exec itself, holding the event back by at most
    /// the time that takes: SHA-256 ran at 1.8 GB/s here (bench/README.md, "Hash on the exec"),
    /// so 2 MiB is about 1.2 ms, and covers /usr/bin but for a few large programs. Larger files
    /// are hashed by the worker and the hash comes in a follow-up event.
    /// </summary>
    public long InlineMaxBytes { get; init; } = 2L * 1024 * 1024;

    /// <summary>Time per second the pipeline may spend hashing inline; beyond it files go to the worker (a storm of new files cannot stall the stream).</summary>
    public TimeSpan InlineBudgetPerSecond { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Hold every executed file from its exec (fanotify FAN_OPEN_EXEC notifications; root), so short-lived and self-deleting programs are hashed too.</summary>
    public bool HoldExecutedFiles { get; init; } = true;

    /// <summary>Execs that may wait for one file version's hash (each gets a follow-up event); beyond it "queue_full".</summary>
    public int MaxWaitersPerFile { get; init; } = 32;

    /// <summary>
    /// The longest a job waits, from its exec's lookup, for the exec-file holder's descriptor
    /// when the holder cannot say it has read past the exec (its thread stuck, or an exec
    /// without a kernel time). Not the usual bound: the wait ends when the holder has read past.
    /// </summary>
    public TimeSpan HeldWaitCap { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>Which file of an exec a hash is of (<c>procwatch.hash.target</c> on a follow-up event).</summary>
internal enum HashTarget : byte
{
    Executable,
    Script,
    LoadedProgram,
}

/// <summary>An exec waiting for a file's hash: the follow-up event names it by pid and entity id.</summary>
internal readonly record struct HashWaiter(int Pid, string? EntityId, HashTarget Target, string? Path);

/// <summary>
/// SHA-256 of executables (and of scripts and loader-run programs), once per file version
/// (<see cref="ExecutableVersion"/>). On the pipeline's thread a known version gets its hash
/// from the cache at once; a new one is opened at once (the walked path, else /proc/PID/exe:
/// deleted files, memfds, other mount namespaces, paths too long for the walk) and, when
/// small and within the inline time budget, hashed on the spot, so the exec itself carries
/// it. Otherwise the open file is queued for a background worker (holding the descriptor
/// keeps even an unlinked file readable), the exec says "pending", and <see cref="FollowUp"/>
/// delivers the hash for each waiting exec. Only a file that is still the version that ran,
/// before and after the read, is hashed.
/// </summary>
internal sealed class ExecutableHasher
{
    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(5);
    private readonly HashOptions _options;
    private readonly ExecutableHashCache _cache;
    private readonly Queue<HashJob> _queue = new();
    private readonly object _lock = new(); // Monitor.Wait/Pulse: not System.Threading.Lock
    private readonly byte[] _inlineBuffer = new byte[128 * 1024]; // pipeline thread only
    private readonly long _inlineBudgetTicks;
    private long _inlineWindowStart;
    private long _inlineSpent;
    private bool _workerRunning;
    private bool _busy;
    private long _queueFull;
    private long _hashed;
    private long _hashedInline;

    /// <summary>
    /// One file for the worker. <c>File</c> is null while the job waits for the exec-file
    /// holder's descriptor (set by <see cref="OfferHeld"/>, under <c>_lock</c>); <c>ExecNs</c>
    /// is the exec's CLOCK_MONOTONIC time (once the holder has read its queue past it, no
    /// descriptor of this exec is still to come); <c>IfNone</c> the follow-up's status when
    /// none comes ("deleted", "unreadable").
    /// </summary>
    private sealed class HashJob(SafeFileHandle? file, ExecutableVersion version, bool sameInode, long execNs, string ifNone)
    {
        public SafeFileHandle? File = file;
        public long QueuedAt { get; } = Environment.TickCount64; // the held-file wait's cap counts from here: queued jobs share it
        public ExecutableVersion Version { get; } = version;
        public bool SameInode { get; } = sameInode;
        public long ExecNs { get; } = execNs;
        public string IfNone { get; } = ifNone;
    }

    /// <summary>Jobs waiting for a held descriptor, by the holder's key (no ctime: the dropper's unlink moves it). At most the queue's capacity; under <c>_lock</c>.</summary>
    private readonly Dictionary<(uint Device, ulong Inode, long Size, long MtimeNs), HashJob> _wanted = new();

    public ExecutableHasher(HashOptions options)
    {
        _options = options;
        _cache = new ExecutableHashCache(options.CacheCapacity, options.MaxWaitersPerFile);
        _inlineBudgetTicks = (long)(options.InlineBudgetPerSecond.TotalSeconds * Stopwatch.Frequency);
    }

    public ExecutableHashCache Cache => _cache;

    /// <summary>Called with each file version hashed, on the hashing thread or inline on the pipeline thread (deny rules by SHA-256 listen here).</summary>
    internal Action<ExecutableVersion, string>? Hashed { get; set; }

    /// <summary>Called by the worker for each exec that said "pending": the hash, or why none. Set before events flow.</summary>
    public Action<HashWaiter, string?, string?>? FollowUp { get; set; }

    /// <summary>A descriptor of the version that ran, kept from the exec by another mechanism (fanotify); null when none.</summary>
    public Func<ExecutableVersion, SafeFileHandle?>? HeldFiles { get; set; }

    /// <summary>Whether the holder has read every notification queued before a CLOCK_MONOTONIC time (any thread): a descriptor not held by then never comes.</summary>
    public Func<long, bool>? HeldReadThrough { get; set; }

    /// <summary>
    /// The holder offers each descriptor it reads (its thread): taken (true) when a job waits
    /// for that file, so a file the worker reaches late is not lost to the holder's age or
    /// capacity bound.
    /// </summary>
    public bool OfferHeld(ExecutableVersion v, SafeFileHandle file)
    {
        lock (_lock)
        {
            if (_wanted.Count == 0 || !_wanted.Remove(HeldKey(v), out HashJob? job))
                return false;
            job.File = file;
            Monitor.PulseAll(_lock);
            return true;
        }
    }

    private static (uint, ulong, long, long) HeldKey(ExecutableVersion v) => (v.Device, v.Inode, v.Size, v.MtimeNs);

    /// <summary>Whether <paramref name="v"/>'s hash is cached (any thread): the exec-file holder stops holding such files.</summary>
    public bool IsHashed(ExecutableVersion v) => _cache.TryGet(v, out string? sha256, out _) && sha256 is not null;

    /// <summary>Execs not hashed because the worker's queue was full.</summary>
    public long QueueFullCount => Interlocked.Read(ref _queueFull);

    /// <summary>Files hashed (inline and by the worker).</summary>
    public long HashedCount => Interlocked.Read(ref _hashed);

    /// <summary>Files hashed on the exec itself.</summary>
    public long HashedInlineCount => Interlocked.Read(ref _hashedInline);

    /// <summary>The hash of the executable that ran, or why there is none. Pipeline thread; holds the event back at most one inline hash.</summary>
    /// <param name="execNs">The exec's CLOCK_MONOTONIC time (the kernel's record); 0 when not known.</param>
    public (string? Sha256, string? Status) Lookup(int pid, string? path, ExecutableVersion? version, bool deleted, bool memfd, string? entityId = null, long execNs = 0)
    {
        if (version is not { } v)
            return (null, HashStatuses.Unavailable);
        if (v.Size > _options.MaxBytes)
            return (null, HashStatuses.TooLarge);
        var waiter = new HashWaiter(pid, entityId, HashTarget.Executable, path);
        if (TryCached(v, waiter, out var cached))
            return cached;
        string? status = memfd ? HashStatuses.Memfd : deleted ? HashStatuses.Deleted : HashStatuses.Unreadable;
        SafeFileHandle? file = !deleted && !memfd && path is not null ? FileHashing.OpenVersion(path, v, ref status) : null;
        bool sameInode = file is null; // /proc/PID/exe and a held descriptor are the inode that ran
        file ??= FileHashing.OpenVersion($"/proc/{pid}/exe", v, ref status, sameInode: true);
        file ??= HeldFiles?.Invoke(v);
        if (file is null)
        {
            // Gone before we looked (a dropper that deleted itself and exited): the descriptor
            // held since its exec may not have been read off the fanotify queue yet. The job
            // waits for the holder to hand it over (or to have read past the exec); the exec
            // says "pending" and the follow-up says what came.
            if (HeldFiles is null || memfd || status is not (HashStatuses.Unreadable or HashStatuses.Deleted)) // a memfd is on no marked filesystem
                return (null, status);
            return Queue(null, v, waiter, sameInode: true, execNs, status) ?? (null, status);
        }
        return HashOpened(file, v, waiter, sameInode);
    }

    /// <summary>The hash of a file an exec ran without it being the executable (a script, a loader's program), opened by path now.</summary>
    public (string? Sha256, string? Status) LookupFile(int pid, string path, HashTarget target, string? entityId)
    {
        SafeFileHandle? file = FileHashing.OpenRegular(path, out ExecutableVersion v);
        if (file is null)
            return (null, HashStatuses.Unreadable);
        if (v.Size > _options.MaxBytes)
        {
            file.Dispose();
            return (null, HashStatuses.TooLarge);
        }
        var waiter = new HashWaiter(pid, entityId, target, path);
        if (TryCached(v, waiter, out var cached))
        {
            file.Dispose();
            return cached;
        }
        return HashOpened(file, v, waiter);
    }

    private bool TryCached(ExecutableVersion v, HashWaiter waiter, out (string? Sha256, string? Status) result)
    {
        result = default;
        switch (_cache.Probe(v, waiter.EntityId is null ? null : waiter, out string? sha256))
        {
            case CacheProbe.Hashed:
                result = (sha256, null);
                return true;
            case CacheProbe.Waiting:
                result = (null, HashStatuses.Pending); // the worker's follow-up will name this exec too
                return true;
            case CacheProbe.Full:
                Interlocked.Increment(ref _queueFull);
                result = (null, HashStatuses.QueueFull);
                return true;
            default:
                return false;
        }
    }

    private (string? Sha256, string? Status) HashOpened(SafeFileHandle file, ExecutableVersion v, HashWaiter waiter, bool sameInode = false)
    {
        if (v.Size <= _options.InlineMaxBytes && TakeInlineBudget())
        {
            long start = Stopwatch.GetTimestamp();
            string? sha256 = FileHashing.Hash(file, v, _inlineBuffer, out string? failed, sameInode);
            file.Dispose();
            _inlineSpent += Stopwatch.GetTimestamp() - start;
            if (sha256 is null)
                return (null, failed);
            Interlocked.Increment(ref _hashed);
            Interlocked.Increment(ref _hashedInline);
            _cache.AddHashed(v, sha256);
            Hashed?.Invoke(v, sha256); // deny rules by SHA-256 learn inline hashes too
            return (sha256, null);
        }
        return Queue(file, v, waiter, sameInode) ?? (null, HashStatuses.QueueFull);
    }

    /// <summary>Queues <paramref name="file"/> (null: wait for the held descriptor) for the worker; null when the queue is full.</summary>
    private (string? Sha256, string? Status)? Queue(SafeFileHandle? file, ExecutableVersion v, HashWaiter waiter, bool sameInode, long execNs = 0, string? ifNone = null)
    {
        lock (_lock)
        {
            if (_queue.Count >= _options.QueueCapacity || waiter.EntityId is null || FollowUp is null)
            {
                file?.Dispose();
                _queueFull++;
                return null;
            }
            _cache.AddPending(v, waiter);
            var job = new HashJob(file, v, sameInode, execNs, ifNone ?? HashStatuses.Unreadable);
            if (file is null && _wanted.TryAdd(HeldKey(v), job)) // one job per key: another version of the same key takes what the holder has
            {
                // Read off between the lookup's look and this registration: in the holder's table
                // now, and offered to nobody. Taken under this lock, so the worker cannot take it
                // first (the holder never holds its own lock while it offers: no lock cycle).
                if (HeldFiles?.Invoke(v) is { } late)
                {
                    _wanted.Remove(HeldKey(v));
                    job.File = late;
                }
            }
            _queue.Enqueue(job);
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

    /// <summary>
    /// The held descriptor of <paramref name="job"/>'s file (worker thread): handed over by the
    /// holder when it reads it, or taken from its table; none once the holder has read every
    /// notification queued before the exec and it was not among them (a full fanotify queue, a
    /// filesystem not marked).
    /// </summary>
    private SafeFileHandle? AwaitHeld(HashJob job)
    {
        // A wall-clock wait alone lost 2 of 100 self-deleting droppers on a loaded CI machine
        // (the holder's thread ran seconds late): the wait ends when the holder has read past the exec.
        long deadline = job.QueuedAt + (long)_options.HeldWaitCap.TotalMilliseconds;
        lock (_lock)
        {
            while (job.File is null)
            {
                bool readPast = job.ExecNs != 0 && HeldReadThrough?.Invoke(job.ExecNs) == true;
                if (readPast || Environment.TickCount64 > deadline)
                    break;
                Monitor.Wait(_lock, 5);
            }
            if (job.File is { } handed)
                return handed;
            if (_wanted.TryGetValue(HeldKey(job.Version), out HashJob? registered) && registered == job)
                _wanted.Remove(HeldKey(job.Version));
        }
        return HeldFiles?.Invoke(job.Version); // read off before the job was registered
    }

    private bool TakeInlineBudget()
    {
        long now = Stopwatch.GetTimestamp();
        if (now - _inlineWindowStart >= Stopwatch.Frequency)
        {
            _inlineWindowStart = now;
            _inlineSpent = 0;
        }
        return _inlineSpent < _inlineBudgetTicks;
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
                if (!_queue.TryDequeue(out job!))
                    continue;
                _busy = true;
            }
            string? sha256 = null;
            string? status = job.IfNone;
            SafeFileHandle? file = job.File ?? AwaitHeld(job);
            if (file is not null)
            {
                using (file)
                    sha256 = FileHashing.Hash(file, job.Version, buffer, out status, job.SameInode);
            }
            if (sha256 is not null)
                Interlocked.Increment(ref _hashed);
            List<HashWaiter>? waiters = _cache.Complete(job.Version, sha256);
            if (sha256 is not null)
                Hashed?.Invoke(job.Version, sha256);
            if (waiters is not null && FollowUp is { } followUp)
            {
                foreach (HashWaiter w in waiters)
                    followUp(w, sha256, status);
            }
        }
    }
}
