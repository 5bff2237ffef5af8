using ProcWatch.Events;

namespace ProcWatch.Tracking;

/// <summary>
/// What is known of one executable version's hash: the digest, or the execs waiting for it.
/// Shared between the pipeline's thread (reads) and the hashing worker (writes), under the
/// cache's lock.
/// </summary>
internal sealed class HashEntry(ExecutableVersion version)
{
    public ExecutableVersion Version { get; } = version;
    public string? Sha256 { get; set; }

    /// <summary>Execs that said "pending" and get a follow-up event; null when none (or hashed).</summary>
    public List<HashWaiter>? Waiters { get; set; }

    public LinkedListNode<HashEntry>? Node { get; set; }
}

/// <summary>What <see cref="ExecutableHashCache.Probe"/> found.</summary>
internal enum CacheProbe : byte
{
    Miss,
    Hashed,
    /// <summary>Being hashed; the exec was added to its waiters.</summary>
    Waiting,
    /// <summary>Being hashed, and its waiters are at their bound.</summary>
    Full,
}

/// <summary>
/// Executable versions and their hashes, at most <c>capacity</c> of them: the least recently
/// used is forgotten beyond it, so a storm of distinct files (each a new version) cannot grow
/// it; each pending version keeps at most <c>maxWaiters</c> waiting execs. An entry being
/// hashed is never evicted (its waiters are owed a follow-up); the worker's bounded queue
/// bounds those. Thread-safe (one lock; the pipeline's lookups are a dictionary probe).
/// </summary>
internal sealed class ExecutableHashCache(int capacity, int maxWaiters = 32)
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

    /// <summary>The hash of <paramref name="version"/> when known; a pending one takes <paramref name="waiter"/> (when given).</summary>
    public CacheProbe Probe(ExecutableVersion version, HashWaiter? waiter, out string? sha256)
    {
        sha256 = null;
        lock (_lock)
        {
            if (!_entries.TryGetValue(version, out HashEntry? entry))
                return CacheProbe.Miss;
            if (entry.Node is { } node && node != _lru.First)
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
            }
            if (entry.Sha256 is not null)
            {
                sha256 = entry.Sha256;
                return CacheProbe.Hashed;
            }
            if (waiter is not { } w)
                return CacheProbe.Full;
            entry.Waiters ??= new List<HashWaiter>(4);
            if (entry.Waiters.Count >= maxWaiters)
                return CacheProbe.Full;
            entry.Waiters.Add(w);
            return CacheProbe.Waiting;
        }
    }

    /// <summary>The entry for <paramref name="version"/> (marked recently used), or false.</summary>
    public bool TryGet(ExecutableVersion version, out string? sha256, out string? status)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(version, out HashEntry? entry))
            {
                (sha256, status) = (entry.Sha256, entry.Sha256 is null ? HashStatuses.Pending : null);
                return true;
            }
        }
        (sha256, status) = (null, null);
        return false;
    }

    /// <summary>A version hashed inline.</summary>
    public void AddHashed(ExecutableVersion version, string sha256)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(version, out HashEntry? known))
            {
                known.Sha256 = sha256;
                return;
            }
            Insert(new HashEntry(version) { Sha256 = sha256 });
        }
    }

    /// <summary>Adds a pending entry (with its first waiter); evicts the least recently used hashed one when full.</summary>
    public void AddPending(ExecutableVersion version, HashWaiter? waiter = null)
    {
        lock (_lock)
        {
            if (_entries.ContainsKey(version))
                return;
            var entry = new HashEntry(version);
            if (waiter is { } w)
                entry.Waiters = [w];
            Insert(entry);
        }
    }

    private void Insert(HashEntry entry)
    {
        if (_entries.Count >= Capacity)
        {
            // The least recently used entry that is not owed a follow-up.
            for (LinkedListNode<HashEntry>? node = _lru.Last; node is not null; node = node.Previous)
            {
                if (node.Value.Sha256 is null && node.Value.Waiters is { Count: > 0 })
                    continue;
                _lru.Remove(node);
                _entries.Remove(node.Value.Version);
                Evictions++;
                break;
            }
        }
        entry.Node = _lru.AddFirst(entry);
        _entries[entry.Version] = entry;
    }

    /// <summary>
    /// The worker's result; returns the execs waiting for it. A failed version is forgotten, so
    /// a later exec tries again.
    /// </summary>
    public List<HashWaiter>? Complete(ExecutableVersion version, string? sha256)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(version, out HashEntry? entry))
                return null;
            List<HashWaiter>? waiters = entry.Waiters;
            entry.Waiters = null;
            if (sha256 is not null)
            {
                entry.Sha256 = sha256;
            }
            else
            {
                _entries.Remove(version);
                if (entry.Node is { } node)
                    _lru.Remove(node);
            }
            return waiters;
        }
    }

    /// <summary>Forgets an entry.</summary>
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
    /// <summary>The file was too large to hash on the exec (or the inline budget was spent): the worker hashes it and a follow-up event (<c>event.action: hash</c>) carries the hash.</summary>
    public const string Pending = "pending";
    /// <summary>Larger than the size cap (<c>--hash-max-size</c>).</summary>
    public const string TooLarge = "too_large";
    /// <summary>The executable was unlinked before it ran (fileless: a classic sign of malware) and could not be read through the process either.</summary>
    public const string Deleted = "deleted";
    /// <summary>The executable is a memfd (memfd_create + fexecve) that could not be read through the process (it was gone).</summary>
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
