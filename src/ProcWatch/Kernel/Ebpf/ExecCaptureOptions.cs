namespace ProcWatch.Kernel.Ebpf;

/// <summary>Tuning of <see cref="ExecCapture"/>; the defaults suit a monitor.</summary>
internal sealed class ExecCaptureOptions
{
    /// <summary>
    /// Size of the BPF ring buffer: a power of two, at least a page. The default 8 MiB holds
    /// about 80,000 typical execs, or 8 with argv at the 1 MiB cap even if the reader is not
    /// scheduled meanwhile (2 MiB lost records, and 4 MiB did once in CI, when five such execs
    /// came back to back beside other tests' storms). It is kernel memory, not procwatch's. When it is full, records are
    /// counted in <see cref="ExecCapture.Drops"/> and reported as lost. Only a window of it is
    /// mapped into procwatch (<see cref="MmapRingBuffer.WindowBytes"/>), so its size costs no RSS.
    /// </summary>
    public int RingBufferBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// The capture thread is woken at most once per interval (or when a quarter of the ring is
    /// waiting), so a record reaches the callback at most about this late. Each wakeup costs
    /// tens of microseconds of CPU on a VM, far more than reading a record, so batching is
    /// what makes a storm cheap (see docs/notes/NOTES-issue4.md). Zero: a wakeup per record.
    /// Beside the connector, whose thread drains the ring after each receive window and
    /// before each event it posts, a storm's records reach the pipeline within the connector's
    /// window (16 ms); this interval bounds the delay when the connector is quiet.
    /// </summary>
    public TimeSpan WakeupInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Tests only: a record for which this returns true is dropped as if it never came (the cross-check must report it).</summary>
    internal Func<KernelRecord, bool>? DiscardForTest { get; init; }

    /// <summary>
    /// Only the execs of these processes and their descendants (the CLI's <c>-p</c>, and
    /// procwatch itself under <c>-- COMMAND</c>): a root is matched by pid, as user space does,
    /// and a fork adds its child. Forks and exits all come: the caller's process table places
    /// and forgets processes by them, in the tree or out (see bpf/capture_filter.h). Null or
    /// empty: no tree filter.
    /// </summary>
    internal IReadOnlyList<int>? TreeRoots { get; init; }

    /// <summary>
    /// With <see cref="TreeRoots"/>: the processes the caller's own table already placed in the
    /// tree (its seed, read before the programs load). A member whose parent ended meanwhile is
    /// reparented away from the roots, and the kernel's /proc walk after attach would miss it;
    /// these are put in the tree as they are.
    /// </summary>
    internal IReadOnlyList<int>? TreeMembers { get; init; }

    /// <summary>
    /// An exec the kernel filter leaves out still leaves a small marker in the ring (kind and
    /// kernel time, 24 bytes): the completeness cross-check counts it, since the connector
    /// counts every exec of the host. Off only in tests that count the ring.
    /// </summary>
    internal bool MarkFiltered { get; init; } = true;

    /// <summary>"0" keeps -p in user space only (the behaviour before it moved into the kernel): to compare the two, or to work around a kernel bug.</summary>
    internal const string PrefilterVariable = "PROCWATCH_EBPF_PREFILTER";

    /// <summary>Watched-tree entries the kernel keeps with a tree filter; beyond it the filter opens.</summary>
    internal const int TreeCapacity = 65536;

    /// <summary>The tree map's size (<see cref="TreeCapacity"/>; smaller only in tests that fill it).</summary>
    internal int TreeMapEntries { get; init; } = TreeCapacity;

    internal bool FiltersInKernel => TreeRoots is { Count: > 0 };

    internal static ExecCaptureOptions Default { get; } = new();
}
