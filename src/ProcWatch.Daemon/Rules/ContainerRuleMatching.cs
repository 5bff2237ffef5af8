using ProcWatch.Filtering;

namespace ProcWatch.Rules;

/// <summary>
/// The container keys of a rule's match (<c>container</c>, <c>image</c>, <c>pod_namespace</c>,
/// <c>pod</c>, <c>container_entry</c>), with the CLI's <c>--container</c> semantic. A process
/// whose container identity is not known yet (the first events of a new container) does not
/// match a name, image or pod condition.
/// </summary>
internal static class ContainerRuleMatching
{
    public static bool Matches(RuleMatch m, ProcessInfo? p)
    {
        if (p is null)
            return false;
        if (m.ContainerEntry is { } entry && p.ContainerEntry != entry)
            return false;
        if (m.Container is not null && !ContainerSelector.NamesContainer(p, m.Container))
            return false;
        ContainerIdentity? c = p.Container;
        if (m.Image is not null && !ImageMatches(m.Image, c))
            return false;
        if (m.PodNamespace is not null && !ProcessMatching.Glob(m.PodNamespace, c?.PodNamespace))
            return false;
        if (m.Pod is not null && !ProcessMatching.Glob(m.Pod, c?.PodName))
            return false;
        return true;
    }

    private static bool ImageMatches(string pattern, ContainerIdentity? c)
    {
        if (c?.ImageName is not { } name)
            return false;
        return ProcessMatching.Glob(pattern, name) || (c.ImageTag is { } tag && GlobNameTag(pattern, name, tag));
    }

    /// <summary>The pattern against "name:tag", built on the stack for the usual lengths (this runs per event and rule).</summary>
    private static bool GlobNameTag(string pattern, string name, string tag)
    {
        int length = name.Length + 1 + tag.Length;
        Span<char> joined = length <= 512 ? stackalloc char[length] : new char[length];
        name.CopyTo(joined);
        joined[name.Length] = ':';
        tag.CopyTo(joined[(name.Length + 1)..]);
        return ProcessMatching.Glob(pattern, joined);
    }
}
