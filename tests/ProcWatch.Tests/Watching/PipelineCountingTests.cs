using ProcWatch.Events;
using ProcWatch.Kernel;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Watching;

/// <summary>Events and reported losses are counted once, where they enter the pipeline.</summary>
public class PipelineCountingTests
{
    [Fact]
    public void EveryPostedEvent_IsCountedByKind_AndLossesByReason()
    {
        var statistics = new WatcherStatistics();
        var pipeline = new EventPipeline([], 64, statistics);
        pipeline.Post(new ExecEvent { KernelTimeNs = 1, Timestamp = DateTimeOffset.UnixEpoch, Pid = 5, Tid = 5 });
        pipeline.Post(LostEvents.Now(EventOrigin.Connector, LossReason.SequenceGap, 3, KernelClock.Shared));
        pipeline.Post(LostEvents.Now(EventOrigin.Connector, LossReason.KernelBufferOverrun, 0, KernelClock.Shared));
        pipeline.Post(LostEvents.Now(EventOrigin.Ebpf, LossReason.RingBufferFull, 7, KernelClock.Shared));
        pipeline.Post(LostEvents.Now(EventOrigin.Ebpf, LossReason.RingBufferFull, 2, KernelClock.Shared));

        Assert.Equal(1, statistics.Count(ProcessEventKind.Exec));
        Assert.Equal(4, statistics.Count(ProcessEventKind.Lost));
        Assert.Equal(5, statistics.Total);
        Assert.Equal(3, statistics.SequenceGaps);
        Assert.Equal(1, statistics.KernelOverruns);
        Assert.Equal(9, statistics.RingBufferDrops);
        Assert.Equal(5, pipeline.Reader.Count);
    }

    [Fact]
    public void AFullQueue_DropsCountsAndReportsOnce()
    {
        var statistics = new WatcherStatistics();
        var pipeline = new EventPipeline([], 1, statistics);
        for (int pid = 1; pid <= 3; pid++)
            pipeline.Post(new ExitEvent { KernelTimeNs = pid, Timestamp = DateTimeOffset.UnixEpoch, Pid = pid, Tid = pid, Status = null });
        Assert.Equal(2, statistics.QueueDrops);
        Assert.True(pipeline.Reader.TryRead(out ProcessEvent? first));
        Assert.Equal(1, first!.Pid);
        pipeline.Post(new ExitEvent { KernelTimeNs = 9, Timestamp = DateTimeOffset.UnixEpoch, Pid = 9, Tid = 9, Status = null });
        Assert.True(pipeline.Reader.TryRead(out ProcessEvent? report));
        var lost = Assert.IsType<LostEvent>(report);
        Assert.Equal(LossReason.QueueFull, lost.Reason);
        Assert.Equal(2, lost.Count);
    }
}
