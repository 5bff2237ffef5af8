namespace ProcWatch.Kernel.ProcFs;

/// <summary>
/// containerd's own cgroup scheme, <c>/NAMESPACE/ID</c> (e.g. <c>/default/web</c>, what
/// <c>ctr run</c> gives): two segments that look like any other cgroup (<c>/user.slice/user-0.slice</c>),
/// so the shape alone proves nothing. It is a container only when containerd's task directory
/// <c>STATE/io.containerd.runtime.v2.task/NAMESPACE/ID</c> exists (containerd creates it for
/// every running task). Verdicts are cached per path (bounded), so a cgroup costs one stat.
/// </summary>
internal static class ContainerdCgroup
{
    private const int Capacity = 1024;
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, bool> Verdicts = [];
    private static string[] _stateDirectories = ["/run/containerd"];

    /// <summary>containerd state directories (its <c>state</c> setting) whose tasks are containers; default /run/containerd.</summary>
    public static IReadOnlyList<string> StateDirectories
    {
        get => _stateDirectories;
        set
        {
            lock (Gate)
            {
                _stateDirectories = [.. value];
                Verdicts.Clear();
            }
        }
    }

    public static bool TryParse(string path, out ContainerRef container) => TryParse(path, null, out container);

    /// <param name="stateDirectories">Where to look for the task (not cached); null: <see cref="StateDirectories"/>, cached.</param>
    internal static bool TryParse(string path, IReadOnlyList<string>? stateDirectories, out ContainerRef container)
    {
        container = default;
        // Exactly "/NAMESPACE/ID", neither a systemd unit nor a slice.
        if (path.Length < 4 || path[0] != '/')
            return false;
        int slash = path.IndexOf('/', 1);
        if (slash < 2 || slash == path.Length - 1 || path.IndexOf('/', slash + 1) >= 0)
            return false;
        ReadOnlySpan<char> ns = path.AsSpan(1, slash - 1);
        ReadOnlySpan<char> id = path.AsSpan(slash + 1);
        if (!IsIdentifier(ns, 76) || !IsIdentifier(id, 76) || ns.EndsWith(".slice") || id.EndsWith(".scope")
            || id.EndsWith(".service") || id.EndsWith(".slice") || ns.SequenceEqual("init.scope"))
            return false;
        if (stateDirectories is null ? !IsTask(path, ns, id) : !TaskExists(stateDirectories, ns, id))
            return false;
        container = new ContainerRef(id.ToString(), ContainerRuntimeKind.Containerd, ns.ToString());
        return true;
    }

    private static bool IsTask(string path, ReadOnlySpan<char> ns, ReadOnlySpan<char> id)
    {
        lock (Gate)
        {
            if (Verdicts.TryGetValue(path, out bool known))
                return known;
            bool found = TaskExists(_stateDirectories, ns, id);
            // containerd makes the task directory before it starts the task, so a process in the
            // cgroup finds it there; both verdicts are kept (the cache is cleared when full).
            if (Verdicts.Count >= Capacity)
                Verdicts.Clear();
            Verdicts[path] = found;
            return found;
        }
    }

    private static bool TaskExists(IReadOnlyList<string> stateDirectories, ReadOnlySpan<char> ns, ReadOnlySpan<char> id)
    {
        foreach (string state in stateDirectories)
        {
            if (Directory.Exists($"{state}/io.containerd.runtime.v2.task/{ns}/{id}"))
                return true;
        }
        return false;
    }

    /// <summary>containerd's identifier rule (namespaces and container ids): letters, digits, and . _ - between them.</summary>
    private static bool IsIdentifier(ReadOnlySpan<char> s, int maxLength)
    {
        if (s.IsEmpty || s.Length > maxLength || !char.IsAsciiLetterOrDigit(s[0]) || !char.IsAsciiLetterOrDigit(s[^1]))
            return false;
        foreach (char c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
                return false;
        }
        return true;
    }
}
