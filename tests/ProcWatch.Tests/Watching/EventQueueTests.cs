using ProcWatch.Events;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Watching;

public class EventQueueTests
{
    private static ExecEvent Exec(int pid) => new() { KernelTimeNs = pid, Timestamp = DateTimeOffset.UnixEpoch, Pid = pid, Tid = pid };

    [Fact]
    public void ABlockedReader_IsWokenByTheNextWrite_AndReadsInOrder()
    {
        var queue = new EventQueue(16);
        using var written = new ManualResetEventSlim();
        var writer = new Thread(() =>
        {
            Thread.Sleep(100); // the reader is blocked by now
            queue.TryWrite(Exec(1));
            queue.TryWrite(Exec(2));
            written.Set();
        });
        writer.Start();
        Assert.True(queue.WaitToRead(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token));
        written.Wait();
        var batch = new ProcessEvent[8];
        int n = queue.ReadBatch(batch);
        Assert.Equal(2, n);
        Assert.Equal([1, 2], batch[..n].Select(e => e.Pid));
        writer.Join();
    }

    [Fact]
    public void ABlockedReader_StopsWhenCancelled()
    {
        var queue = new EventQueue(16);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.Throws<OperationCanceledException>(() => queue.WaitToRead(cancel.Token));
        Assert.True(queue.TryWrite(Exec(1))); // still usable
        Assert.True(queue.WaitToRead());
    }

    [Fact]
    public async Task AnError_IsThrownToTheReaderAfterTheQueuedEvents()
    {
        var queue = new EventQueue(16);
        queue.TryWrite(Exec(1));
        queue.TryComplete(new ProcWatchException("socket gone"));
        Assert.False(queue.TryWrite(Exec(2)));
        Assert.True(queue.WaitToRead());
        Assert.True(queue.TryRead(out ProcessEvent? first));
        Assert.Equal(1, first.Pid);
        Assert.Equal("socket gone", Assert.Throws<ProcWatchException>(() => queue.WaitToRead()).Message);
        await Assert.ThrowsAsync<ProcWatchException>(async () => await queue.WaitToReadAsync());
        await Assert.ThrowsAsync<ProcWatchException>(() => queue.Completion);
    }

    [Fact]
    public async Task ACleanEnd_EndsTheStreamOnceDrained()
    {
        var queue = new EventQueue(16);
        queue.TryWrite(Exec(1));
        queue.TryComplete();
        Assert.False(queue.Completion.IsCompleted);
        Assert.Single(await queue.ReadAllAsync().ToListAsync());
        Assert.False(queue.WaitToRead());
        await queue.Completion;
    }

    [Fact]
    public async Task AnAsyncReader_IsWokenByAWrite()
    {
        var queue = new EventQueue(16);
        ValueTask<bool> waiting = queue.WaitToReadAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.False(waiting.IsCompleted);
        queue.TryWrite(Exec(7));
        Assert.True(await waiting);
        Assert.True(queue.TryRead(out ProcessEvent? e));
        Assert.Equal(7, e.Pid);
    }

    [Fact]
    public void TheQueue_GrowsPastItsFirstSlots_UpToItsCapacityAndNoFurther()
    {
        var queue = new EventQueue(3000);
        for (int i = 0; i < 3000; i++)
            Assert.True(queue.TryWrite(Exec(i)));
        Assert.False(queue.TryWrite(Exec(3000)));
        Assert.Equal(3000, queue.Count);
        var batch = new ProcessEvent[1024];
        int expected = 0;
        int n;
        while ((n = queue.ReadBatch(batch)) > 0)
        {
            for (int i = 0; i < n; i++)
                Assert.Equal(expected++, batch[i].Pid);
        }
        Assert.Equal(3000, expected);
        Assert.True(queue.TryWrite(Exec(1))); // shrunk back after the backlog, still usable
        Assert.True(queue.TryRead(out ProcessEvent? again));
        Assert.Equal(1, again.Pid);
    }

    [Fact]
    public async Task AnAsyncReaderOfAnEmptyQueue_GetsFalseOrTheError_WhenTheStreamEnds()
    {
        var clean = new EventQueue(16);
        ValueTask<bool> waiting = clean.WaitToReadAsync();
        clean.TryComplete();
        Assert.False(await waiting);

        var failed = new EventQueue(16);
        ValueTask<bool> failing = failed.WaitToReadAsync();
        failed.TryComplete(new ProcWatchException("socket gone"));
        Assert.Equal("socket gone", (await Assert.ThrowsAsync<ProcWatchException>(async () => await failing)).Message);
    }
}
