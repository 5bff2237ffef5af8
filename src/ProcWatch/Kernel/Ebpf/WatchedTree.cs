using ProcWatch.Interop;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Fills the kernel's watched tree (the <c>watched_tgids</c> map of bpf/capture_filter.h, the
/// in-kernel half of <c>-p</c>): the roots before the programs attach, then, once the fork
/// program adds children, the processes that already descend from a root, placed by /proc's
/// parent links as the enrichment's seed places them. The kernel looks up the ancestry of any
/// process it does not find, so one forked while this runs is not missed either.
/// </summary>
internal static unsafe class WatchedTree
{
    private const int EEXIST = 17;

    /// <summary>Deeper than this, a /proc parent chain is taken as a loop (user space's limit too).</summary>
    private const int MaxDepth = 4096;

    /// <summary>The roots, kept by pid for good (a reused pid is a root to user space as well). 0 or a negative errno.</summary>
    internal static int AddRoots(int treeFd, IReadOnlyList<int> roots)
    {
        byte value = (byte)tree_entry.TREE_ROOT;
        foreach (int pid in roots)
        {
            uint key = (uint)pid;
            int rc = Libbpf.bpf_map_update_elem(treeFd, &key, &value, 0 /* BPF_ANY */);
            if (rc != 0)
                return rc;
        }
        return 0;
    }

    /// <summary>Processes the caller already counts in the tree (members until they exit); the map full (or unusable) opens the filter.</summary>
    internal static void AddMembers(int treeFd, int stateFd, IReadOnlyList<int> members)
    {
        byte value = (byte)tree_entry.TREE_MEMBER;
        foreach (int pid in members)
        {
            uint key = (uint)pid;
            int rc = Libbpf.bpf_map_update_elem(treeFd, &key, &value, 1 /* BPF_NOEXIST: a root stays a root */);
            if (rc != 0 && rc != -EEXIST)
            {
                Open(stateFd);
                return;
            }
        }
    }

    /// <summary>The live descendants of the roots; the map full (or unusable) opens the filter.</summary>
    internal static void AddDescendants(int treeFd, int stateFd, IReadOnlyList<int> roots)
    {
        var parents = new Dictionary<int, int>(1024);
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir.AsSpan()), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
                && ProcStat.TryRead(pid, out ProcStat stat))
            {
                parents[pid] = stat.ParentPid;
            }
        }
        byte value = (byte)tree_entry.TREE_MEMBER;
        foreach (int pid in parents.Keys)
        {
            if (!DescendsFromRoot(pid, parents, roots))
                continue;
            uint key = (uint)pid;
            int rc = Libbpf.bpf_map_update_elem(treeFd, &key, &value, 1 /* BPF_NOEXIST */);
            if (rc != 0 && rc != -EEXIST)
            {
                Open(stateFd); // -E2BIG: full. Whatever the reason, the kernel must not drop what user space keeps.
                return;
            }
        }
    }

    /// <summary>From now on the kernel's tree filter lets every record through (no fork program to follow the tree, or no room).</summary>
    internal static void Open(int stateFd)
    {
        uint key = 0;
        uint open = 1; // struct tree_state { __u32 open; }
        _ = Libbpf.bpf_map_update_elem(stateFd, &key, &open, 0);
    }

    private static bool DescendsFromRoot(int pid, Dictionary<int, int> parents, IReadOnlyList<int> roots)
    {
        for (int depth = 0; depth < MaxDepth && pid > 0; depth++)
        {
            for (int i = 0; i < roots.Count; i++)
            {
                if (roots[i] == pid)
                    return true;
            }
            if (!parents.TryGetValue(pid, out pid))
                return false;
        }
        return false;
    }
}
