using ProcWatch.Events;

namespace ProcWatch.Kernel;

/// <summary>
/// The one place a <see cref="LostEvent"/> is built. Sources only say what was lost; the
/// pipeline counts it (<see cref="WatcherStatistics.OnPosted"/>) when the report enters it.
/// </summary>
internal static class LostEvents
{
    /// <summary>A loss report stamped now (the loss itself has no kernel time).</summary>
    public static LostEvent Now(EventOrigin origin, LossReason reason, long count, KernelClock clock)
    {
        long now = KernelClock.MonotonicNs();
        return new LostEvent
        {
            KernelTimeNs = now, Timestamp = clock.ToWallClock(now), Pid = 0, Tid = 0,
            Origin = origin, Reason = reason, Count = count,
        };
    }
}
