using ProcWatch.Kernel.Ebpf;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>The bounded table of fork records waiting for their connector event: the oldest goes, and each that goes unmatched is counted.</summary>
public class LifecycleRecordTableTests
{
    private static ForkRecord Fork(int tgid, ulong ns) => new() { Tgid = tgid, KernelTimeNs = ns, ParentTgid = 1, StartBootNs = ns };

    [Fact]
    public void Full_EvictsOldestOnly_AndCountsIt()
    {
        int callbacks = 0;
        var table = new LifecycleRecordTable<ForkRecord>(capacity: 3, matchWindowNs: 1_000_000_000, () => callbacks++);
        table.Keep(Fork(10, 100));
        table.Keep(Fork(11, 200));
        table.Keep(Fork(12, 300));
        table.Keep(Fork(13, 400)); // full: 10 goes

        Assert.Equal(3, table.Count);
        Assert.False(table.Contains(10));
        Assert.True(table.Contains(11) && table.Contains(12) && table.Contains(13));
        Assert.Equal(1, table.Unmatched);
        Assert.Equal(1, callbacks);
        Assert.Equal(200UL, table.Take(11, 200)!.KernelTimeNs);
        Assert.Equal(1, table.Matched);
    }

    [Fact]
    public void TakenRecords_AreSkippedAtEviction()
    {
        var table = new LifecycleRecordTable<ForkRecord>(capacity: 2, matchWindowNs: 1_000_000_000);
        table.Keep(Fork(10, 100));
        table.Keep(Fork(11, 200));
        Assert.NotNull(table.Take(10, 100)); // taken: not a candidate any more
        table.Keep(Fork(12, 300));
        table.Keep(Fork(13, 400)); // full: 11 (the oldest still waiting) goes, not 12

        Assert.False(table.Contains(11));
        Assert.True(table.Contains(12) && table.Contains(13));
        Assert.Equal(1, table.Unmatched);
    }

    [Fact]
    public void Superseded_AndOutOfWindow_AreCounted()
    {
        var table = new LifecycleRecordTable<ForkRecord>(capacity: 8, matchWindowNs: 1_000);
        table.Keep(Fork(10, 100));
        table.Keep(Fork(10, 5_000)); // a reused pid: the first record's event never came
        Assert.Equal(1, table.Unmatched);
        Assert.Null(table.Take(10, 100_000)); // too far from the event: not about it
        Assert.Equal(2, table.Unmatched);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void ArrivalOrder_StaysBounded_UnderChurn()
    {
        var table = new LifecycleRecordTable<ForkRecord>(capacity: 4, matchWindowNs: 1_000_000_000);
        for (int i = 0; i < 100_000; i++)
        {
            table.Keep(Fork(1000 + i % 7, (ulong)i));
            if (i % 2 == 0) table.Take(1000 + i % 7, i);
        }
        Assert.True(table.Count <= 4);
        Assert.Equal(0, table.Matched + table.Unmatched - 100_000 + table.Count);
    }
}
