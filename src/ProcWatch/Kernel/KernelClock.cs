using ProcWatch.Interop;

namespace ProcWatch.Kernel;

/// <summary>
/// Converts kernel CLOCK_MONOTONIC nanoseconds (connector timestamp_ns, bpf_ktime_get_ns)
/// to wall-clock time. The offset is sampled once; a wall-clock step while running shifts
/// reported times but never their order.
/// </summary>
internal sealed class KernelClock
{
    private readonly long _realtimeMinusMonotonicNs;

    public KernelClock()
    {
        // Bracket the realtime read with two monotonic reads to bound the sampling error.
        long before = MonotonicNs();
        Libc.ClockGetTime(Libc.CLOCK_REALTIME, out Libc.timespec real);
        long after = MonotonicNs();
        long realNs = real.tv_sec * 1_000_000_000 + real.tv_nsec;
        _realtimeMinusMonotonicNs = realNs - (before + (after - before) / 2);
    }

    public static KernelClock Shared { get; } = new();

    public static long MonotonicNs()
    {
        Libc.ClockGetTime(Libc.CLOCK_MONOTONIC, out Libc.timespec t);
        return t.tv_sec * 1_000_000_000 + t.tv_nsec;
    }

    public DateTimeOffset ToWallClock(long monotonicNs)
    {
        long unixNs = monotonicNs + _realtimeMinusMonotonicNs;
        return new DateTimeOffset(DateTime.UnixEpoch.Ticks + unixNs / 100, TimeSpan.Zero);
    }
}
