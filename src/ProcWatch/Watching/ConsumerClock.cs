using System.Diagnostics;
using ProcWatch.Interop;

namespace ProcWatch.Watching;

/// <summary>
/// The time <see cref="EventConsumer"/> coalesces by, in nanoseconds of the monotonic clock.
/// A class of its own so that tests can hold time still and prove the coalescing rule
/// without timing anything (tests/.../Watching/EventConsumerTests).
/// </summary>
internal class ConsumerClock
{
    public static readonly ConsumerClock Monotonic = new();

    public virtual long NowNs() => Stopwatch.Frequency == 1_000_000_000 // Linux: CLOCK_MONOTONIC in ns
        ? Stopwatch.GetTimestamp()
        : (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

    /// <summary>
    /// Sleeps until <paramref name="deadlineNs"/> (returns at once when it has passed).
    /// clock_nanosleep, not Thread.Sleep: that one counts whole milliseconds and goes through
    /// the runtime's wait subsystem (a mutex and a condition variable), this is one system call.
    /// </summary>
    public virtual void SleepUntil(long deadlineNs)
    {
        long now;
        while ((now = NowNs()) < deadlineNs) // compared, not subtracted: a deadline of long.MinValue must not wrap
        {
            long remaining = deadlineNs - now;
            var request = new Libc.timespec { tv_sec = remaining / 1_000_000_000, tv_nsec = remaining % 1_000_000_000 };
            Libc.ClockNanoSleep(Libc.CLOCK_MONOTONIC, 0, request, IntPtr.Zero); // EINTR: the loop sleeps the rest
        }
    }
}
