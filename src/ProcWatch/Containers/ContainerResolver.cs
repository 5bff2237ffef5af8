using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Containers;

/// <summary>
/// Container identities, read once per container from its runtime on a background thread
/// (<c>procwatch-containers</c>, started on demand, gone after 5 s idle) and cached (bounded,
/// oldest forgotten first). The pipeline's thread only looks up the cache: a container not
/// known yet is queued and its event goes out with the cgroup's id alone; every later event of
/// that container carries the identity. A runtime that is not installed is skipped without a
/// word; one that is there but fails gives one warning (per runtime) and the container is
/// remembered as unresolved (only its id and runtime), asked again after a minute.
/// </summary>
internal sealed class ContainerResolver : IDisposable
{
    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryUnresolvedAfter = TimeSpan.FromMinutes(1);
    private readonly ContainerOptions _options;
    private readonly DockerStateReader _docker;
    private readonly PodmanStateReader _podman;
    private readonly ContainerdClient _containerd;
    private readonly CrioStateReader _crio;
    private readonly object _lock = new(); // Monitor.Wait/Pulse
    private readonly Dictionary<string, Cached> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ContainerIdentity> _userNamed = new(StringComparer.Ordinal); // ids named in a user's delegated subtree
    private readonly Queue<string> _age = new();
    private readonly Queue<ContainerRef> _queue = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private bool _workerRunning;
    private bool _disposed;
    private long _resolved;

    private readonly record struct Cached(ContainerIdentity Identity, long RetryAtMs);

    public ContainerResolver(ContainerOptions options)
    {
        _options = options;
        _docker = new DockerStateReader(options.DockerRoot);
        _podman = new PodmanStateReader(options.PodmanRoot);
        _containerd = new ContainerdClient(options.ContainerdSocketPath, options.ContainerdState);
        _crio = new CrioStateReader(options.CrioRunRoot);
        ContainerdCgroup.StateDirectories = [options.ContainerdState];
    }

    /// <summary>Containers the runtimes described so far.</summary>
    public long ResolvedCount => Interlocked.Read(ref _resolved);

    /// <summary>Every runtime reader, for <c>procwatch doctor</c>.</summary>
    public IReadOnlyList<IContainerRuntimeReader> Readers => [_docker, _podman, _containerd, _crio];

    /// <summary>The identity of the container (its id and the cgroup path it was found in), or null while it is being read. Pipeline thread; never blocks on a runtime.</summary>
    public ContainerIdentity? Find(string containerId, string? cgroupPath)
    {
        // A user names the cgroups of their delegated subtree: `docker-ID.scope` there must not
        // borrow the name, image and labels of root's container ID (a process that claims to be
        // in a container to match, or escape, a rule). Only the id, as the cgroup says it.
        if (cgroupPath is not null && ContainerId.IsInUserSubtree(cgroupPath))
            return UserNamed(containerId);
        ContainerIdentity? known = null;
        lock (_lock)
        {
            if (_cache.TryGetValue(containerId, out Cached cached))
            {
                if (cached.Identity.Resolved || Environment.TickCount64 < cached.RetryAtMs)
                    return cached.Identity;
                known = cached.Identity; // unresolved and due: asked again, the old answer meanwhile
            }
        }
        if (cgroupPath is null || !ContainerId.TryParse(cgroupPath, out ContainerRef container) || container.Id != containerId)
            return known;
        lock (_lock)
        {
            if (_disposed || _queue.Count >= _options.QueueCapacity || !_queued.Add(container.Id))
                return known;
            _queue.Enqueue(container);
            if (!_workerRunning)
            {
                _workerRunning = true;
                new Thread(Work) { IsBackground = true, Name = "procwatch-containers" }.Start();
            }
            else
            {
                Monitor.Pulse(_lock);
            }
            return known;
        }
    }

    private ContainerIdentity UserNamed(string containerId)
    {
        lock (_lock)
        {
            if (_userNamed.TryGetValue(containerId, out ContainerIdentity? identity))
                return identity;
            if (_userNamed.Count >= _options.CacheCapacity)
                _userNamed.Clear(); // bounded: a user can name cgroups without end
            identity = new ContainerIdentity { Id = containerId };
            _userNamed.Add(containerId, identity);
            return identity;
        }
    }

    /// <summary>Reads one container now, on the caller's thread (tests, doctor).</summary>
    internal ContainerIdentity Resolve(ContainerRef container)
    {
        foreach (IContainerRuntimeReader reader in ReadersFor(container.Runtime))
        {
            ContainerLookup lookup = reader.Read(container.Id, container.Namespace);
            switch (lookup.Outcome)
            {
                case LookupOutcome.Found:
                    Interlocked.Increment(ref _resolved);
                    return lookup.Identity!;
                case LookupOutcome.Failed:
                    WarnOnce(reader.Runtime, $"container runtime {reader.Runtime}: {lookup.Reason}; events carry container.id only");
                    break;
            }
        }
        return new ContainerIdentity { Id = container.Id, Runtime = RuntimeName(container.Runtime) };
    }

    private IEnumerable<IContainerRuntimeReader> ReadersFor(ContainerRuntimeKind kind) => kind switch
    {
        ContainerRuntimeKind.Docker => [_docker],
        ContainerRuntimeKind.Podman => [_podman],
        ContainerRuntimeKind.Containerd => [_containerd],
        ContainerRuntimeKind.Crio => [_crio],
        _ => [_containerd, _crio], // kubepods' bare id: a CRI runtime's
    };

    private static string? RuntimeName(ContainerRuntimeKind kind) => kind switch
    {
        ContainerRuntimeKind.Docker => "docker",
        ContainerRuntimeKind.Podman => "podman",
        ContainerRuntimeKind.Containerd => "containerd",
        ContainerRuntimeKind.Crio => "cri-o",
        _ => null,
    };

    private void WarnOnce(string runtime, string message)
    {
        lock (_warned)
        {
            if (!_warned.Add(runtime))
                return;
        }
        _options.Warning?.Invoke(message);
    }

    private void Work()
    {
        while (true)
        {
            ContainerRef next;
            lock (_lock)
            {
                while (_queue.Count == 0)
                {
                    if (_disposed || !Monitor.Wait(_lock, IdleExit) && _queue.Count == 0)
                    {
                        _workerRunning = false;
                        return;
                    }
                }
                next = _queue.Dequeue();
            }
            ContainerIdentity identity = Resolve(next);
            lock (_lock)
            {
                _queued.Remove(next.Id);
                if (!_cache.ContainsKey(next.Id))
                {
                    while (_cache.Count >= _options.CacheCapacity && _age.TryDequeue(out string? oldest))
                        _cache.Remove(oldest);
                    _age.Enqueue(next.Id);
                }
                _cache[next.Id] = new Cached(identity, Environment.TickCount64 + (long)RetryUnresolvedAfter.TotalMilliseconds);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            Monitor.PulseAll(_lock);
        }
        _containerd.Dispose();
    }
}
