using ProcWatch.Kernel.Ebpf;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>Which connector event a kernel-filter marker stands for (FilteredMarks), from marker fixtures.</summary>
public sealed class FilteredMarksTests
{
    private static FilteredRecord Marker(record_kind kind, int tgid, long ns) =>
        new() { FilteredKind = kind, Tgid = tgid, KernelTimeNs = (ulong)ns };

    [Fact]
    public void AForkMarkerComesAfterItsConnectorFork_AnOlderOneIsAReusedPidsAndDropsNothing()
    {
        var marks = new FilteredMarks();
        // pid 417 forked outside the watched tree; its connector fork was passed on before the marker came.
        marks.Keep(Marker(record_kind.RECORD_FORK, 417, 1_000));
        // 417 exits, the pid is reused in the tree: its fork (connector at 5_000) has a record, late.
        Assert.False(marks.HasFork(417, 5_000));
        Assert.False(marks.TakeFork(417, 5_000));
        // The marker was used up as stale: a later fork of 417 is not dropped for it either.
        Assert.False(marks.TakeFork(417, 6_000));

        marks.Keep(Marker(record_kind.RECORD_FORK, 418, 7_010));
        Assert.True(marks.HasFork(418, 7_000));
        Assert.True(marks.TakeFork(418, 7_000));
        Assert.False(marks.TakeFork(418, 7_000));
    }

    [Fact]
    public void AnExitMarkerComesBeforeItsConnectorExit()
    {
        var marks = new FilteredMarks();
        marks.Keep(Marker(record_kind.RECORD_EXIT, 500, 2_000));
        Assert.False(marks.TakeExit(500, 1_999));
        Assert.True(marks.TakeExit(500, 2_050));
        Assert.False(marks.TakeExit(500, 2_050));
        // One whose connector exit never came stands for no exit of the pid's next process.
        marks.Keep(Marker(record_kind.RECORD_EXIT, 501, 2_000));
        Assert.False(marks.TakeExit(501, 2_000 + 5_000_000_000));
    }

    [Fact]
    public void ExecMarkers_TheNewestUpToTheConnectorExec_ForEachExecOfAChain()
    {
        var marks = new FilteredMarks();
        // sh -c 'exec x' run by a filtered user: two execs of one tgid before the connector's first is read.
        marks.Keep(Marker(record_kind.RECORD_EXEC, 600, 100));
        marks.Keep(Marker(record_kind.RECORD_EXEC, 600, 200));
        Assert.Equal(100, marks.TakeExec(600, 150));
        Assert.Equal(200, marks.TakeExec(600, 250));
        Assert.Equal(-1, marks.TakeExec(600, 300));
    }

    [Fact]
    public void TheTablesAreBounded_TheOldestMarkerGoes()
    {
        var marks = new FilteredMarks();
        for (int pid = 1; pid <= 20_000; pid++)
            marks.Keep(Marker(record_kind.RECORD_EXIT, pid, 1_000 + pid));
        Assert.False(marks.TakeExit(1, 1_001));
        Assert.True(marks.TakeExit(20_000, 21_000));
    }
}
