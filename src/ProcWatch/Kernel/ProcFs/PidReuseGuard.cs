namespace ProcWatch.Kernel.ProcFs;

/// <summary>
/// Pids are reused (pid_max is often 32768), so data read from /proc/PID is trusted only when
/// the start time read alongside it (stat's starttime, through the same
/// <see cref="ProcessDirectory"/>) is the one expected for the process the event is about.
/// </summary>
internal static class PidReuseGuard
{
    /// <summary>
    /// How far a start time derived from a fork event's timestamp may be from stat's
    /// starttime: the kernel stamps both within microseconds, tick rounding adds one.
    /// </summary>
    public const ulong ForkTimeToleranceTicks = 2;

    /// <summary>
    /// True when <paramref name="observedTicks"/> (just read from /proc) belongs to the process
    /// whose start is known as <paramref name="expectedTicks"/>: equal when that was read from
    /// /proc too (<paramref name="expectedIsExact"/>), within <see cref="ForkTimeToleranceTicks"/>
    /// when it was derived from a fork event's kernel time.
    /// </summary>
    public static bool IsSameProcess(ulong observedTicks, ulong expectedTicks, bool expectedIsExact)
    {
        if (expectedIsExact)
            return observedTicks == expectedTicks;
        ulong difference = observedTicks > expectedTicks ? observedTicks - expectedTicks : expectedTicks - observedTicks;
        return difference <= ForkTimeToleranceTicks;
    }
}
