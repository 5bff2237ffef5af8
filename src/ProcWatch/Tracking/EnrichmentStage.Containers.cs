using ProcWatch.Containers;

namespace ProcWatch.Tracking;

/// <summary>Containers: the identity from the resolver's cache, and entries marked at exec.</summary>
internal sealed partial class EnrichmentStage
{
    /// <summary>The container resolver; null with container identities off.</summary>
    internal ContainerResolver? Containers => _containers;

    /// <summary>
    /// At exec: whether the process entered a container, then its container's identity. The
    /// kernel's verdict (eBPF, <paramref name="kernelEntry"/>) is exact; without it the pid
    /// namespaces are read from /proc, which a process that is already gone cannot answer.
    /// The entry's <see cref="ProcessEntry.Info"/> is replaced when either is new.
    /// </summary>
    private void OnContainerExec(ProcessEntry entry, int parentPid, bool? kernelEntry)
    {
        if (kernelEntry ?? EnteredByProcfs(entry, parentPid))
            entry.Update(entry.Info with { ContainerEntry = true });
        RefreshContainer(entry);
    }

    private bool EnteredByProcfs(ProcessEntry entry, int parentPid)
    {
        ulong ns = ContainerEntry.PidNamespaceOf(entry.Pid);
        entry.PidNamespace = ns;
        if (ns == 0 || ns == Kernel.Namespaces.PROC_PID_INIT_INO || parentPid <= 0)
            return false;
        ProcessEntry? parent = _table.Peek(parentPid);
        ulong parentNs = parent?.PidNamespace ?? 0;
        if (parentNs == 0)
        {
            parentNs = ContainerEntry.PidNamespaceOf(parentPid);
            if (parent is not null)
                parent.PidNamespace = parentNs;
        }
        return ContainerEntry.IsEntry(entry.Pid, ns, parentNs);
    }

    /// <summary>Attaches (or corrects) the container identity of a process in a container, once the resolver knows it.</summary>
    private void RefreshContainer(ProcessEntry entry)
    {
        ProcessInfo info = entry.Info;
        if (info.ContainerId is not { } id)
        {
            if (info.Container is not null)
                entry.Update(info with { Container = null });
            return;
        }
        if (_containers is null || (info.Container is { Resolved: true } known && known.Id == id))
            return;
        ContainerIdentity? identity = _containers.Find(id, info.CgroupPath);
        if (identity is not null && !ReferenceEquals(identity, info.Container))
            entry.Update(info with { Container = identity });
    }

    /// <summary>A process not in the table (a lost race): its container identity if already known, without the entry check.</summary>
    private ProcessInfo WithContainer(ProcessInfo info) =>
        _containers is not null && info.ContainerId is { } id && _containers.Find(id, info.CgroupPath) is { } identity
            ? info with { Container = identity }
            : info;
}
