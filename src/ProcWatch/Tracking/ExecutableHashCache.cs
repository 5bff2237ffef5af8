namespace ProcWatch.Tracking;

/// <summary>
/// What is known of one executable version's hash: the digest, or why there is none yet.
/// Shared between the pipeline's thread (reads) and the hashing worker (writes), under the
/// cache's lock.
/// </summary>
internal sealed class HashEntry(ExecutableVersion version)
{
    public ExecutableVersion Version { get; } = version;
    public string? Sha256 { get; set; }

    /// <summary><see cref="HashStatuses.Pending"/> until the worker is done; null once hashed.</summary>
    public string? Status { get; set; } = HashStatuses.Pending;

    public LinkedListNode<HashEntry>? Node { get; set; }
}

/// <summary>
/// Executable versions and their hashes, at most <c>capacity</c> of them: the least recently
/// used is forgotten beyond it, so a storm of distinct files (each a new version) cannot grow
/// it. Thread-safe (one lock; the pipeline's lookups are a dictionary probe).
/// </summary>
internal sealed class ExecutableHashCache(int capacity)
{
    private readonly Dictionary<ExecutableVersion, HashEntry> _entries = new(Math.Min(capacity, 1024));
    private readonly LinkedList<HashEntry> _lru = new();
    private readonly Lock _lock = new();

    public int Capacity { get; } = Math.Max(1, capacity);

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>Evictions so far (the cache was full).</summary>
    public long Evictions { get; private set; }

    /// <summary>The entry for <paramref name="version"/> (marked recently used), or false.</summary>
    public bool TryGet(ExecutableVersion version, out string? sha256, out string? status)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(version, out HashEntry? entry))
            {
                if (entry.Node is { } node && node != _lru.First)
                {
                    _lru.Remove(node);
                    _lru.AddFirst(node);
                }
                (sha256, status) = (entry.Sha256, entry.Status);
                return true;
            }
        }
        (sha256, status) = (null, null);
        return false;
    }

    /// <summary>Adds a pending entry; evicts the least recently used when full.</summary>
    public void AddPending(ExecutableVersion version)
    {
        lock (_lock)
        {
            if (_entries.ContainsKey(version))
                return;
            if (_entries.Count >= Capacity && _lru.Last is { } oldest)
            {
                _lru.RemoveLast();
                _entries.Remove(oldest.Value.Version);
                Evictions++;
            }
            var entry = new HashEntry(version);
            entry.Node = _lru.AddFirst(entry);
            _entries[version] = entry;
        }
    }

    /// <summary>The worker's result; ignored when the entry was evicted meanwhile.</summary>
    public void Complete(ExecutableVersion version, string? sha256, string? status)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(version, out HashEntry? entry))
                (entry.Sha256, entry.Status) = (sha256, sha256 is null ? status : null);
        }
    }

    /// <summary>Forgets a pending entry that could not be queued, so a later exec tries again.</summary>
    public void Remove(ExecutableVersion version)
    {
        lock (_lock)
        {
            if (_entries.Remove(version, out HashEntry? entry) && entry.Node is { } node)
                _lru.Remove(node);
        }
    }
}

/// <summary>The values of <c>procwatch.hash_status</c>: why an exec carries no <c>process.hash.sha256</c>.</summary>
internal static class HashStatuses
{
    /// <summary>First exec of this file version: queued for the worker; later execs of it carry the hash.</summary>
    public const string Pending = "pending";
    /// <summary>Larger than the size cap (<c>--hash-max-size</c>).</summary>
    public const string TooLarge = "too_large";
    /// <summary>The executable was unlinked before it ran (fileless: a classic sign of malware).</summary>
    public const string Deleted = "deleted";
    /// <summary>The executable is a memfd (memfd_create + fexecve): it never was a file.</summary>
    public const string Memfd = "memfd";
    /// <summary>Neither the path nor /proc/PID/exe opened as this version (gone, permission, another mount namespace).</summary>
    public const string Unreadable = "unreadable";
    /// <summary>The file changed (size, mtime or ctime) between the exec and the read.</summary>
    public const string Changed = "changed";
    /// <summary>The worker's queue was full (an exec storm of new files): not hashed, counted.</summary>
    public const string QueueFull = "queue_full";
    /// <summary>The source does not say which file ran (connector-only and procfs backends).</summary>
    public const string Unavailable = "unavailable";
}
