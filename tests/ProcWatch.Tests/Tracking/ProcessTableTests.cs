using ProcWatch.Events;
using ProcWatch.Tracking;
using Xunit;

namespace ProcWatch.Tests.Tracking;

public class ProcessTableTests
{
    private static ProcessEntry Entry(int pid) => new(pid, new ProcessInfo { Pid = pid });

    [Fact]
    public void StaysWithinItsCapUnderABurstLargerThanTheCap()
    {
        var table = new ProcessTable(capacity: 100);
        long evicted = 0;
        table.OnEvicted = () => evicted++;
        for (int pid = 1; pid <= 10_000; pid++)
        {
            table.Add(Entry(pid));
            Assert.True(table.Count <= 100);
        }
        Assert.Equal(100, table.Count);
        Assert.Equal(9_900, table.Evictions);
        Assert.Equal(9_900, evicted);
        Assert.NotNull(table.Peek(10_000)); // the newest survive
        Assert.Null(table.Peek(1));
    }

    [Fact]
    public void EvictsTheLeastRecentlyUsed()
    {
        var table = new ProcessTable(capacity: 3);
        table.Add(Entry(1));
        table.Add(Entry(2));
        table.Add(Entry(3));
        Assert.NotNull(table.Find(1)); // 1 is used again: 2 is now the oldest
        table.Add(Entry(4));
        Assert.Null(table.Peek(2));
        Assert.NotNull(table.Peek(1));
        Assert.NotNull(table.Peek(3));
        Assert.NotNull(table.Peek(4));
    }

    [Fact]
    public void RemoveAndReplaceKeepTheListConsistent()
    {
        var table = new ProcessTable(capacity: 2);
        table.Add(Entry(1));
        table.Add(Entry(1)); // pid reuse: replaced, not duplicated
        Assert.Equal(1, table.Count);
        Assert.NotNull(table.Remove(1));
        Assert.Null(table.Remove(1));
        table.Add(Entry(2));
        table.Add(Entry(3));
        table.Add(Entry(4));
        Assert.Equal(2, table.Count);
        Assert.Equal(1, table.Evictions);
    }
}
