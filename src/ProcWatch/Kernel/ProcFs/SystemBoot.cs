using System.Buffers.Text;
using ProcWatch.Interop;
using ProcWatch.Text;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>
/// Facts about this boot that turn /proc start times into real times: the boot id
/// (/proc/sys/kernel/random/boot_id), the clock tick rate (sysconf(_SC_CLK_TCK)), boot time
/// (btime in /proc/stat) and the offsets between CLOCK_BOOTTIME (which stat's starttime
/// counts), CLOCK_MONOTONIC (event timestamps) and the wall clock, sampled once.
/// </summary>
internal sealed class SystemBoot
{
    private readonly long _realtimeMinusBoottimeNs;
    private readonly long _boottimeMinusMonotonicNs;

    public SystemBoot()
    {
        long ticks = Libc.SysConf(Libc._SC_CLK_TCK);
        ClockTicksPerSecond = ticks > 0 ? ticks : 100;
        BootId = ReadBootId() ?? string.Empty;
        long mono1 = Now(Libc.CLOCK_MONOTONIC);
        long boot = Now(Libc.CLOCK_BOOTTIME);
        long real = Now(Libc.CLOCK_REALTIME);
        long mono2 = Now(Libc.CLOCK_MONOTONIC);
        _boottimeMinusMonotonicNs = boot - (mono1 + (mono2 - mono1) / 2);
        _realtimeMinusBoottimeNs = real - boot;
        BootTimeSeconds = ReadBootTime() ?? (real - boot) / 1_000_000_000;
    }

    public static SystemBoot Shared => s_shared ??= new SystemBoot();

    /// <summary>CLOCK_BOOTTIME now, in ns (the clock of task->start_boottime).</summary>
    public static ulong NowBootNs() => (ulong)Now(Libc.CLOCK_BOOTTIME);

    /// <summary>The length of one clock tick (stat's starttime unit), in ns.</summary>
    public ulong TickNs => (ulong)(1_000_000_000 / ClockTicksPerSecond); // the one place the tick's length is derived
    private static SystemBoot? s_shared;

    /// <summary>The kernel's random id of this boot (a UUID string); empty if unreadable.</summary>
    public string BootId { get; }

    /// <summary>USER_HZ: the unit of stat's starttime.</summary>
    public long ClockTicksPerSecond { get; }

    /// <summary>btime: when the system booted, in seconds since the Unix epoch.</summary>
    public long BootTimeSeconds { get; }

    /// <summary>A start time (ticks after boot) as nanoseconds of CLOCK_MONOTONIC, the clock of event timestamps.</summary>
    public long StartTicksToMonotonicNs(ulong ticks) => TicksToNs(ticks) - _boottimeMinusMonotonicNs;

    /// <summary>The start-time ticks a task created at <paramref name="monotonicNs"/> has in /proc/PID/stat.</summary>
    public ulong MonotonicNsToStartTicks(long monotonicNs)
    {
        long boot = monotonicNs + _boottimeMinusMonotonicNs;
        return boot <= 0 ? 0 : (ulong)boot / TickNs;
    }

    /// <summary>A start time (ticks after boot) as wall-clock time.</summary>
    public DateTimeOffset StartTicksToWallClock(ulong ticks)
    {
        long unixNs = TicksToNs(ticks) + _realtimeMinusBoottimeNs;
        return new DateTimeOffset(DateTime.UnixEpoch.Ticks + unixNs / 100, TimeSpan.Zero);
    }

    /// <summary>A kernel start time (task->start_boottime, ns after boot) as wall-clock time.</summary>
    public DateTimeOffset BootNsToWallClock(ulong bootNs)
    {
        long unixNs = (long)bootNs + _realtimeMinusBoottimeNs;
        return new DateTimeOffset(DateTime.UnixEpoch.Ticks + unixNs / 100, TimeSpan.Zero);
    }

    /// <summary>A kernel start time (ns after boot) as CLOCK_MONOTONIC ns, the clock of event timestamps.</summary>
    public long BootNsToMonotonicNs(ulong bootNs) => (long)bootNs - _boottimeMinusMonotonicNs;

    /// <summary>stat's starttime for a kernel start time: the kernel's own nsec_to_clock_t, exact.</summary>
    public ulong BootNsToStartTicks(ulong bootNs) => bootNs / TickNs;

    /// <summary>
    /// The nanoseconds that stand for a start known only as stat's ticks (the tick's first
    /// nanosecond). A process first seen through /proc keeps this value for its whole life in
    /// the table, so its <c>entity_id</c> never changes while procwatch runs.
    /// </summary>
    public ulong StartTicksToBootNs(ulong ticks) => (ulong)TicksToNs(ticks);

    private long TicksToNs(ulong ticks) => (long)(ticks * TickNs);

    private static long Now(int clock)
    {
        Libc.ClockGetTime(clock, out Libc.timespec t);
        return t.tv_sec * 1_000_000_000 + t.tv_nsec;
    }

    private static string? ReadBootId()
    {
        Span<byte> initial = stackalloc byte[64];
        if (!ProcFile.TryRead(Libc.AT_FDCWD, "/proc/sys/kernel/random/boot_id\0"u8, initial, out ProcFile file, out _))
            return null;
        using (file)
            return ProcText.Decode(file.Content.TrimEnd((byte)'\n'));
    }

    private static long? ReadBootTime()
    {
        Span<byte> initial = stackalloc byte[8192];
        if (!ProcFile.TryRead(Libc.AT_FDCWD, "/proc/stat\0"u8, initial, out ProcFile file, out _))
            return null;
        using (file)
        {
            ReadOnlySpan<byte> content = file.Content;
            foreach (Range range in content.Split((byte)'\n'))
            {
                ReadOnlySpan<byte> line = content[range];
                if (line.StartsWith("btime "u8) && Utf8Parser.TryParse(line[6..], out long seconds, out _))
                    return seconds;
            }
        }
        return null;
    }
}
