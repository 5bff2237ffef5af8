using ProcWatch.Kernel;
using Xunit;

namespace ProcWatch.Tests.Kernel;

/// <summary>The ring's completeness, judged from counts per window of kernel time (no kernel needed).</summary>
public sealed class LifecycleCrossCheckTests
{
    private const long S = LifecycleCrossCheck.WindowNs;
    private const long Start = 100 * S;

    private static LifecycleCrossCheck Started()
    {
        var check = new LifecycleCrossCheck();
        check.Begin(Start);
        return check;
    }

    private static void Both(LifecycleCrossCheck check, Lifecycle kind, long at, int count)
    {
        for (int i = 0; i < count; i++)
        {
            check.OnRing(kind, at + i);
            check.OnConnector(kind, at + i);
        }
    }

    private static long Settled(long window) => (window + 1) * S + LifecycleCrossCheck.SettleNs;

    [Fact]
    public void EqualCounts_AreNoLoss_AndAWindowIsJudgedOnlyOnceSettled()
    {
        var check = Started();
        Both(check, Lifecycle.Exec, Start + 10, 500);
        check.OnConnector(Lifecycle.Fork, Start + 20); // its ring copy has not come yet
        Assert.Equal(0, check.Close(Settled(100) - 1));
        check.OnRing(Lifecycle.Fork, Start + 21);
        Assert.Equal(0, check.Close(Settled(100)));
    }

    [Fact]
    public void ConnectorEventsTheRingNeverDelivered_AreReportedOnce()
    {
        var check = Started();
        Both(check, Lifecycle.Fork, Start + 10, 100);
        for (int i = 0; i < 30; i++)
            check.OnConnector(Lifecycle.Exec, Start + 1000 + i);
        Assert.Equal(30, check.Close(Settled(101)));
        Assert.Equal(0, check.Close(Settled(105)));
        Assert.Equal(30, check.Reported);
    }

    [Fact]
    public void AnEventStampedEitherSideOfAWindowEdge_IsNoLoss()
    {
        var check = Started();
        // Ring copy at the end of window 100, connector copy at the start of 101 (exec: the connector sends after the tracepoint).
        check.OnRing(Lifecycle.Exec, 101 * S - 3);
        check.OnConnector(Lifecycle.Exec, 101 * S + 2);
        // Fork: the connector's copy first.
        check.OnConnector(Lifecycle.Fork, 102 * S - 1);
        check.OnRing(Lifecycle.Fork, 102 * S + 4);
        Assert.Equal(0, check.Close(Settled(103)));
    }

    /// <summary>
    /// Exits whose ring records came two windows before their connector copies (a blocked
    /// output and an exit storm under load: ring surplus 2 in w, balanced w + 1, connector
    /// surplus 2 in w + 2). The carry reached back one window only: a false loss.
    /// </summary>
    [Fact]
    public void ExitsWhoseConnectorCopiesCameTwoWindowsAfterTheirRecords_AreNoLoss()
    {
        var check = Started();
        Both(check, Lifecycle.Exit, Start, 10);
        check.OnRing(Lifecycle.Exit, 101 * S - 5);
        check.OnRing(Lifecycle.Exit, 101 * S - 4);
        Both(check, Lifecycle.Exit, 101 * S + 10, 10);
        check.OnConnector(Lifecycle.Exit, 102 * S + 5);
        check.OnConnector(Lifecycle.Exit, 102 * S + 6);
        Both(check, Lifecycle.Exit, 102 * S + 10, 10);
        Assert.Equal(0, check.Close(Settled(104)));
    }

    [Fact]
    public void ARingSurplus_DoesNotHideALargeShortfall()
    {
        var check = Started();
        for (int i = 0; i < 40; i++)
            check.OnRing(Lifecycle.Exec, Start + i); // processes the connector does not report
        for (int i = 0; i < 10; i++)
            check.OnConnector(Lifecycle.Exec, 101 * S + i);
        Assert.Equal(10, check.Close(Settled(101)));
    }

    [Fact]
    public void DropsTheKernelCounted_ExplainAShortfall_OfTheWindowsUpToTheirReading()
    {
        var check = Started();
        for (int i = 0; i < 25; i++)
            check.OnConnector(Lifecycle.Exit, Start + i);
        // Read 100 ms later, judged 3 s later still: windows 97..99 are judged first and must not
        // use the credit up.
        check.OnRingDropped(Lifecycle.Exit, 25, Start + S / 10); // reported as RingBufferFull already
        Assert.Equal(0, check.Close(Settled(99)));
        Assert.Equal(0, check.Close(Settled(100)));
        check.OnRingDropped(Lifecycle.Exit, 5, 102 * S); // an argv chunk drop: no event behind it
        Assert.Equal(0, check.Close(Settled(104)));
        for (int i = 0; i < 5; i++)
            check.OnConnector(Lifecycle.Exit, 106 * S + i);
        Assert.Equal(5, check.Close(Settled(106))); // the credit read in window 102 was forgotten
    }

    [Fact]
    public void AMainThreadThatExitsSecondsBeforeItsLastThread_IsNoLoss()
    {
        var check = Started();
        // The connector reports the main thread's exit at once; the ring's exit record comes with
        // the last thread, 3 s later; the kernel counted the early exit (read 50 ms later).
        check.OnConnector(Lifecycle.Exit, Start + 10);
        check.OnLeaderExitedEarly(1, Start + S / 20);
        check.OnRing(Lifecycle.Exit, 103 * S + 7);
        Assert.Equal(0, check.Close(Settled(104)));
        // Without that count, the same is a one-event shortfall.
        var uncounted = Started();
        uncounted.OnConnector(Lifecycle.Exit, Start + 10);
        uncounted.OnRing(Lifecycle.Exit, 103 * S + 7);
        Assert.Equal(1, uncounted.Close(Settled(104)));
    }

    [Fact]
    public void EventsBeforeTheConnectorListened_AreNotCounted()
    {
        var check = new LifecycleCrossCheck();
        check.OnConnector(Lifecycle.Exec, Start - 5);
        check.Begin(Start);
        check.OnConnector(Lifecycle.Exec, Start - 1);
        check.OnRing(Lifecycle.Exec, Start + 1);
        Assert.Equal(0, check.Close(Settled(102)));
    }

    /// <summary>
    /// sched_process_exit fires at the start of do_exit, proc_exit_connector only after the
    /// memory is freed: an exit in flight when the connector began has its ring record just
    /// before the start and its connector copy just after. That was a false loss in the first
    /// window (a short procwatch under parallel test load); the ring's record counts.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnExitOrExecWhoseRingRecordCameJustBeforeTheConnectorBegan_IsNoLoss(bool drainedBeforeBegin)
    {
        var check = new LifecycleCrossCheck();
        if (drainedBeforeBegin)
        {
            check.OnRing(Lifecycle.Exit, Start - 300_000_000); // the ring drains before the connector begins
            check.OnRing(Lifecycle.Exec, Start - 1_000);
        }
        check.BeginKernelCounted(Start);
        if (!drainedBeforeBegin)
        {
            check.OnRing(Lifecycle.Exit, Start - 300_000_000);
            check.OnRing(Lifecycle.Exec, Start - 1_000);
        }
        check.SetConnectorCount(Lifecycle.Exit, 100, 1);
        check.SetConnectorCount(Lifecycle.Exec, 100, 1);
        Assert.Equal(0, check.Close(Settled(103)));
    }

    [Fact]
    public void TheRingsLeadAtTheStart_IsBounded_AndNotForForks()
    {
        var check = new LifecycleCrossCheck();
        for (int i = 0; i < 3; i++)
        {
            check.OnRing(Lifecycle.Exit, Start - LifecycleCrossCheck.RingLeadNs - 1 - i); // too early to be one the connector counts
            check.OnRing(Lifecycle.Fork, Start - 1 - i); // a fork's ring record comes after its connector copy
        }
        check.BeginKernelCounted(Start);
        check.SetConnectorCount(Lifecycle.Exit, 100, 3);
        check.SetConnectorCount(Lifecycle.Fork, 100, 3);
        Assert.Equal(6, check.Close(Settled(103)));
    }

    [Fact]
    public void KernelCounts_AreTotalsThatAddToWhatWasReceived_AndFindAShortfall()
    {
        var check = new LifecycleCrossCheck();
        check.BeginKernelCounted(Start);
        Assert.True(check.CountsInKernel);
        Assert.Equal(100, check.FirstOpenWindow);
        // 40 execs counted by the filter (read twice as it grew: a total, not an increment),
        // 2 received before it began; the ring delivered 30 of the 42.
        check.SetConnectorCount(Lifecycle.Exec, 100, 25);
        check.SetConnectorCount(Lifecycle.Exec, 100, 40);
        check.OnConnector(Lifecycle.Exec, Start + 1);
        check.OnConnector(Lifecycle.Exec, Start + 2);
        for (int i = 0; i < 30; i++)
            check.OnRing(Lifecycle.Exec, Start + 3 + i);
        // 10 forks in the next window, all delivered.
        check.SetConnectorCount(Lifecycle.Fork, 101, 10);
        for (int i = 0; i < 10; i++)
            check.OnRing(Lifecycle.Fork, 101 * S + i);
        Assert.Equal(0, check.Close(Settled(99)));
        Assert.Equal(12, check.Close(Settled(101)));
        Assert.Equal(102, check.FirstOpenWindow);
    }

    [Fact]
    public void KernelCounts_OfJudgedWindows_OrBeforeTheStart_AreIgnored()
    {
        var check = new LifecycleCrossCheck();
        check.SetConnectorCount(Lifecycle.Exec, 100, 5); // not begun
        check.BeginKernelCounted(Start + S / 2);
        check.SetConnectorCount(Lifecycle.Exec, 99, 5);   // before the start's window
        Assert.Equal(0, check.Close(Settled(100)));
        check.SetConnectorCount(Lifecycle.Exec, 100, 5);  // judged already
        Assert.Equal(0, check.Close(Settled(101)));
        check.SetConnectorCount(Lifecycle.Exec, 102, 50); // an open window: a real shortfall
        Assert.Equal(50, check.Close(Settled(102)));
    }

    [Fact]
    public void AKernelCount_LeftInASlot_IsForgottenWhenTheSlotTakesANewerWindow()
    {
        var check = new LifecycleCrossCheck();
        check.BeginKernelCounted(Start);
        check.SetConnectorCount(Lifecycle.Exit, 100, 7);
        check.OnRing(Lifecycle.Exit, 116 * S + 1); // same slot, 16 windows on: the old counts go
        Assert.Equal(0, check.Close(Settled(100))); // ... so window 100 cannot be judged
        Assert.Equal(1, check.TakeSkipped());       // ... and says so
    }

    [Fact]
    public void ALateCountOfAnOlderWindow_DoesNotTakeTheSlotOfANewerOne()
    {
        var check = new LifecycleCrossCheck();
        check.BeginKernelCounted(Start);
        check.OnRing(Lifecycle.Exit, 116 * S + 1);
        check.SetConnectorCount(Lifecycle.Exit, 100, 9); // window 100's slot holds 116 now: its count goes nowhere
        check.SetConnectorCount(Lifecycle.Exit, 116, 1);
        Assert.Equal(0, check.Close(Settled(116)));       // 116's ring count was kept
    }

    /// <summary>
    /// The judging tick stalled for 20 s (SIGSTOP, a frozen VM): the windows whose counts may
    /// have been overwritten meanwhile (the kernel's slots and ours are reused 16 windows on)
    /// are not judged, and how many is said once, instead of judging them as a silent surplus.
    /// The windows after them are judged as usual, real losses included.
    /// </summary>
    [Fact]
    public void WindowsWhoseCountsAStalledTickMayHaveLost_AreSkipped_AndCounted()
    {
        var check = Started();
        Both(check, Lifecycle.Exec, Start + 10, 5);
        Assert.Equal(0, check.Close(Settled(100)));
        Assert.Equal(0, check.TakeSkipped());
        for (long w = 101; w <= 120; w++)
            Both(check, Lifecycle.Fork, w * S + 5, 3); // forks every second, both sides counted
        check.OnRing(Lifecycle.Exec, 103 * S + 1);       // a small surplus left before the stall
        for (int i = 0; i < 3; i++)
            check.OnConnector(Lifecycle.Exec, 104 * S + 1 + i); // a shortfall in a window whose counts may be gone
        for (int i = 0; i < 4; i++)
            check.OnConnector(Lifecycle.Exec, 110 * S + 1 + i); // a real loss in a window still held
        long now = 121 * S + S / 2; // the tick's next run, 20 s on
        Assert.Equal(4, check.Close(now));
        Assert.Equal(121 - LifecycleCrossCheck.SkippedBehind - 101 + 1, check.TakeSkipped()); // 101 .. 106
        Assert.Equal(0, check.TakeSkipped());
        Assert.Equal(0, check.Close(Settled(120)));
        Assert.Equal(0, check.TakeSkipped());
    }
}
