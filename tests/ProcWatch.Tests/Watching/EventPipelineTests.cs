using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Watching;

public class EventPipelineTests
{
    /// <summary>Posts the events it is given from the caller's thread, like a receive thread would.</summary>
    private sealed class ManualSource : IEventSource
    {
        public IEventSink? Sink { get; private set; }
        public string Name => "manual";
        public void Start(IEventSink sink, WatcherStatistics statistics) => Sink = sink;
        public void Dispose() { }
    }

    private sealed class ThrowingStage : IEventStage
    {
        public void Process(ProcessEvent processEvent, IEventSink next)
        {
            if (processEvent.Pid == 666)
                throw new InvalidOperationException("boom");
            next.Post(processEvent);
        }
    }

    private static ExecEvent Exec(int pid) => new() { KernelTimeNs = 1, Timestamp = DateTimeOffset.UnixEpoch, Pid = pid, Tid = pid };

    [Fact]
    public async Task AStageThatThrows_EndsTheStreamWithOneActionableError()
    {
        var source = new ManualSource();
        using var watcher = new ProcessWatcher(new WatchOptions { Sources = [source], Stages = [new ThrowingStage()], Enrichment = null });
        var reader = watcher.Start();
        source.Sink!.Post(Exec(1));
        source.Sink.Post(Exec(666)); // must not throw into the "receive thread"
        Assert.True(reader.TryRead(out ProcessEvent? first));
        Assert.Equal(1, first!.Pid);
        var error = await Assert.ThrowsAsync<ProcWatchException>(async () => await reader.WaitToReadAsync());
        Assert.Contains("(exec)", error.Message);
        Assert.Contains("boom", error.Message);
    }

    [Fact]
    public void AFullQueue_DropsCountsAndReportsTheLoss()
    {
        var source = new ManualSource();
        using var watcher = new ProcessWatcher(new WatchOptions { Sources = [source], QueueCapacity = 2, Enrichment = null });
        var reader = watcher.Start();
        for (int i = 1; i <= 5; i++)
            source.Sink!.Post(Exec(i));
        Assert.Equal(3, watcher.Statistics.QueueDrops);
        Assert.True(reader.TryRead(out _));
        Assert.True(reader.TryRead(out _));
        source.Sink!.Post(Exec(6)); // room again: the loss is reported first
        Assert.True(reader.TryRead(out ProcessEvent? lost));
        var loss = Assert.IsType<LostEvent>(lost);
        Assert.Equal(LossReason.QueueFull, loss.Reason);
        Assert.Equal(3, loss.Count);
    }
}
