using ProcWatch.Kernel.Ebpf;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// The two exit records a process gets when its main thread and its last thread leave at the
/// same moment (both read signal->live at 0) make one exit event; every other exit record passes.
/// </summary>
public sealed class RepeatedExitsTests
{
    private static ExitRecord Exit(int tgid, ulong start, bool afterLeader) => new()
    {
        Tgid = tgid, KernelTimeNs = 1, StartBootNs = start, ExitCode = 0,
        UserCpu = TimeSpan.Zero, SystemCpu = TimeSpan.Zero, PeakRssBytes = 0, AfterLeader = afterLeader,
    };

    [Fact]
    public void TheLastThreadsRecordOfAnExitTheMainThreadAlsoWrote_IsDroppedOnce()
    {
        var repeated = new RepeatedExits();
        Assert.False(repeated.IsRepeat(Exit(100, 5_000, afterLeader: false)));
        Assert.True(repeated.IsRepeat(Exit(100, 5_000, afterLeader: true)));
        Assert.Equal(1, repeated.Dropped);
        // Forgotten once matched: a later flagged record of that pid is another exit.
        Assert.False(repeated.IsRepeat(Exit(100, 5_000, afterLeader: true)));
    }

    [Fact]
    public void TheUsualRecords_AllPass()
    {
        var repeated = new RepeatedExits();
        // A single-threaded process: one plain record. A main thread that left earlier: a marker, then one flagged record.
        Assert.False(repeated.IsRepeat(Exit(200, 7_000, afterLeader: false)));
        Assert.False(repeated.IsRepeat(Exit(201, 7_100, afterLeader: true)));
        // The same pid reused by another process (another start time) is not a repeat.
        Assert.False(repeated.IsRepeat(Exit(200, 9_000, afterLeader: true)));
        // Plain records never repeat, even for one pid.
        Assert.False(repeated.IsRepeat(Exit(300, 1, afterLeader: false)));
        Assert.False(repeated.IsRepeat(Exit(300, 1, afterLeader: false)));
        Assert.Equal(0, repeated.Dropped);
    }

    [Fact]
    public void OnlyTheLastCapacityPlainExitsAreRemembered()
    {
        var repeated = new RepeatedExits();
        Assert.False(repeated.IsRepeat(Exit(400, 1, afterLeader: false)));
        for (int i = 0; i < RepeatedExits.Capacity; i++)
            Assert.False(repeated.IsRepeat(Exit(1000 + i, 2, afterLeader: false)));
        Assert.False(repeated.IsRepeat(Exit(400, 1, afterLeader: true))); // pushed out: bounded, whatever a storm does
        Assert.True(repeated.IsRepeat(Exit(1000 + RepeatedExits.Capacity - 1, 2, afterLeader: true)));
    }
}
