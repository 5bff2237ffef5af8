using ProcWatch.Events;
using ProcWatch.Kernel.Connector;
using Xunit;
using static ProcWatch.Tests.Kernel.Connector.ConnectorFixtures;

namespace ProcWatch.Tests.Kernel.Connector;

/// <summary>cn_msg.seq is numbered per CPU: a jump is exactly the number of events lost.</summary>
public class SequenceGapTests
{
    [Fact]
    public void Detector_CountsMissingNumbersPerCpu()
    {
        var d = new SequenceGapDetector();
        Assert.Equal(0, d.Observe(0, 100)); // first seen: the baseline
        Assert.Equal(0, d.Observe(0, 101));
        Assert.Equal(0, d.Observe(1, 7));
        Assert.Equal(3, d.Observe(0, 105));
        Assert.Equal(0, d.Observe(1, 8));
        Assert.Equal(0, d.Observe(0, 103)); // older (reordered): nothing new missing
        Assert.Equal(0, d.Observe(0, 106));
        Assert.Equal(0, d.Observe(5000, 1));
    }

    [Fact]
    public void Detector_HandlesWrapAround()
    {
        var d = new SequenceGapDetector();
        d.Observe(2, uint.MaxValue - 1);
        Assert.Equal(0, d.Observe(2, uint.MaxValue));
        Assert.Equal(1, d.Observe(2, 1)); // 0 was lost
    }

    [Fact]
    public void UnfilteredSource_ReportsAGapAsLostEvent()
    {
        (ConnectorEventSource source, CollectingSink sink, var stats) = ConnectorDispatchTests.NewSource();
        source.Dispatch(Message(Exec(10, 10), seq: 5));
        source.Dispatch(Message(Exec(11, 11), seq: 6));
        source.Dispatch(Message(Exec(12, 12), seq: 9));

        Assert.Equal(2, stats.SequenceGaps);
        var lost = Assert.Single(sink.Events.OfType<LostEvent>());
        Assert.Equal(LossReason.SequenceGap, lost.Reason);
        Assert.Equal(2, lost.Count);
        Assert.Equal(3, sink.Events.OfType<ExecEvent>().Count());
        Assert.IsType<LostEvent>(sink.Events[2]); // before the event that revealed it
    }

    [Fact]
    public void Acks_DoNotCount()
    {
        (ConnectorEventSource source, CollectingSink sink, var stats) = ConnectorDispatchTests.NewSource();
        source.Dispatch(Message(Exec(10, 10), seq: 5));
        source.Dispatch(Message(Ack(), seq: 1234));
        source.Dispatch(Message(Exec(11, 11), seq: 6));
        Assert.Equal(0, stats.SequenceGaps);
        Assert.Empty(sink.Events.OfType<LostEvent>());
    }

    [Fact]
    public void Acks_TakeASequenceNumberOfTheirCpu_AndAreNoLoss()
    {
        // B5: another client subscribing sends an ack numbered like an event (cn_proc.c send_msg).
        (ConnectorEventSource source, CollectingSink sink, var stats) = ConnectorDispatchTests.NewSource();
        source.Dispatch(Message(Exec(10, 10), seq: 5));
        source.Dispatch(Message(Event(0x0, Cpu, [0]), seq: 6));
        source.Dispatch(Message(Event(0x0, Cpu, [0]), seq: 7));
        source.Dispatch(Message(Exec(11, 11), seq: 8));
        Assert.Equal(0, stats.SequenceGaps);
        Assert.Empty(sink.Events.OfType<LostEvent>());

        // Real loss around acks still counts: 9 and 11 never arrived.
        source.Dispatch(Message(Event(0x0, Cpu, [0]), seq: 10));
        source.Dispatch(Message(Exec(12, 12), seq: 12));
        Assert.Equal(2, stats.SequenceGaps);
        Assert.Equal(2, sink.Events.OfType<LostEvent>().Count());
    }

    /// <summary>
    /// The counting socket filter drops the count-only kinds after cn_proc numbered them, as
    /// the 6.6 kernel filter drops unwanted kinds: the numbers skip, and nothing was lost.
    /// </summary>
    [Fact]
    public void KernelCountedSource_ReportsNoGap_ForWhatItsFilterDropped()
    {
        (ConnectorEventSource source, CollectingSink sink, var stats) = ConnectorDispatchTests.NewSource();
        source.KernelCounted = true;
        source.Dispatch(Message(Uid(10, 10, 0, 1000), seq: 5));
        source.Dispatch(Message(Uid(10, 10, 0, 1001), seq: 9)); // 6..8: a fork, an exec, an exit, counted in the kernel
        Assert.Equal(0, stats.SequenceGaps);
        Assert.Empty(sink.Events.OfType<LostEvent>());
    }
}
