namespace ProcWatch.Watching;

/// <summary>
/// Keeps a long-running monitor's memory flat. The runtime sizes the young generation from
/// the L3 cache (32 MB here: ~17 MB committed after a 20,000-fork storm, one collection), and a
/// NativeAOT app cannot set GCgen0size except through the environment. An application that
/// owns its process (the CLI, the daemon) calls <see cref="Check"/> after each batch of
/// events: every <c>bytes</c> allocated it runs a young-generation collection, which costs
/// little because nearly every event is garbage by then. A library never does this on its own:
/// an induced collection would be a surprise in someone else's process.
/// </summary>
internal sealed class AllocationBudget
{
    private readonly long _bytes;
    private long _next;

    public AllocationBudget(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1);
        _bytes = bytes;
        _next = GC.GetTotalAllocatedBytes() + bytes;
    }

    /// <summary>Collects generation 0 when the budget has been allocated since the last collection.</summary>
    public void Check()
    {
        long allocated = GC.GetTotalAllocatedBytes();
        if (allocated < _next)
            return;
        GC.Collect(0, GCCollectionMode.Forced, blocking: true, compacting: false);
        _next = allocated + _bytes;
    }
}
