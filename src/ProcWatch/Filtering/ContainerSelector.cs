namespace ProcWatch.Filtering;

/// <summary>
/// Which containers (<c>--container NAME|ID</c>) and pods (<c>--pod NAMESPACE/NAME</c>) to
/// report, and the daemon rules' container keys: one matching semantic. A container is named
/// by its runtime's name, its full id, or a prefix of the id of at least 12 characters (the
/// short id docker prints). Names are globs (<see cref="ProcessMatching"/>).
/// </summary>
internal sealed record ContainerSelector
{
    public const int MinimumIdPrefix = 12;

    public IReadOnlyList<string> Containers { get; init; } = [];

    public IReadOnlyList<(string Namespace, string Name)> Pods { get; init; } = [];

    public bool IsEmpty => Containers.Count == 0 && Pods.Count == 0;

    /// <summary>True when the process is in one of the containers or pods (any one of them).</summary>
    public bool Matches(ProcessInfo info)
    {
        foreach (string container in Containers)
        {
            if (NamesContainer(info, container))
                return true;
        }
        foreach ((string ns, string name) in Pods)
        {
            if (info.Container is { PodName: { } pod, PodNamespace: { } podNs }
                && ProcessMatching.Glob(ns, podNs) && ProcessMatching.Glob(name, pod))
            {
                return true;
            }
        }
        return false;
    }

    public static bool NamesContainer(ProcessInfo info, string container)
    {
        if (info.ContainerId is not { } id)
            return false;
        // An id named in a user's own cgroup subtree is only that user's claim: it never selects
        // (nor lets a rule act on) the container of that id (docs/containers.md).
        if (info.CgroupPath is { } path && Kernel.ProcFs.ContainerId.IsInUserSubtree(path))
            return false;
        if (id == container || (container.Length >= MinimumIdPrefix && id.StartsWith(container, StringComparison.Ordinal)))
            return true;
        return info.Container?.Name is { } name && ProcessMatching.Glob(container, name);
    }

    /// <summary>Parses "NAMESPACE/NAME"; the error says why not.</summary>
    public static bool TryParsePod(string value, out (string Namespace, string Name) pod, out string? error)
    {
        pod = default;
        error = null;
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == value.Length - 1 || value.IndexOf('/', slash + 1) >= 0)
        {
            error = $"'{value}' is not NAMESPACE/NAME";
            return false;
        }
        pod = (value[..slash], value[(slash + 1)..]);
        return true;
    }
}
