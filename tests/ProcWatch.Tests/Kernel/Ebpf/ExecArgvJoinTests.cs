using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>The join on its own, with made-up records and events (no kernel).</summary>
public sealed class ExecArgvJoinTests
{
    private const long Ms = 1_000_000;

    private sealed class ListSink : IEventSink
    {
        public List<ProcessEvent> Events { get; } = [];
        public void Post(ProcessEvent processEvent) => Events.Add(processEvent);
    }

    private static (ExecArgvJoin Join, ListSink Sink) NewJoin(Func<long>? now = null)
    {
        var join = new ExecArgvJoin(KernelClock.Shared, accounts: null, monotonicNow: now ?? (() => 0));
        var sink = new ListSink();
        join.Attach(sink);
        return (join, sink);
    }

    private static ExecRecord Record(int tgid, long ns, params string[] argv) =>
        new()
        {
            Tgid = tgid, OldPid = tgid, ParentTgid = 1, Uid = 0, Gid = 0, KernelTimeNs = (ulong)ns,
            Filename = argv[0], Comm = "x", Argv = [.. argv], ArgvTruncated = false, ArgvFullLength = 0,
        };

    private static ExecEvent Exec(int pid, long ns) => new() { KernelTimeNs = ns, Timestamp = DateTimeOffset.UnixEpoch, Pid = pid, Tid = pid };

    private static ForkEvent Fork(int pid, long ns) => new() { KernelTimeNs = ns, Timestamp = DateTimeOffset.UnixEpoch, Pid = pid, Tid = pid, ParentPid = 1, ParentTid = 1 };

    [Fact]
    public void ConnectorExec_GetsTheRecordsArgv()
    {
        var (join, sink) = NewJoin();
        join.OnRecord(Record(100, 10 * Ms, "/bin/true", "a"));
        join.Post(Exec(100, 10 * Ms + 5000));

        var e = Assert.IsType<ExecEvent>(Assert.Single(sink.Events));
        Assert.Equal(EventOrigin.Connector, e.Origin);
        Assert.Equal(ArgvSource.Ebpf, e.Process!.ArgvSource);
        Assert.Equal(["/bin/true", "a"], e.Process.Args!);
        Assert.Equal("/bin/true", e.Process.Executable);
        Assert.Equal(1, join.Matched);
    }

    [Fact]
    public void BeforeExec_RunsFirst_SoARecordStillInTheRingIsFound()
    {
        var (join, sink) = NewJoin();
        join.BeforeExec = () => join.OnRecord(Record(7, 5 * Ms, "/bin/echo", "hi"));
        join.Post(Exec(7, 5 * Ms + 1));
        Assert.Equal(["/bin/echo", "hi"], Assert.Single(sink.Events).Process!.Args!);
    }

    [Fact]
    public void ExecChain_MatchesTheNewestRecord_AndEmitsTheOlderOnItsOwnFirst()
    {
        var (join, sink) = NewJoin();
        join.OnRecord(Record(100, 10 * Ms, "/bin/sh", "-c", "exec /bin/true"));
        join.OnRecord(Record(100, 11 * Ms, "/bin/true"));
        join.Post(Exec(100, 11 * Ms + 10)); // the first exec's connector event was lost

        Assert.Equal(2, sink.Events.Count);
        Assert.Equal(EventOrigin.Ebpf, sink.Events[0].Origin);
        Assert.Equal("/bin/sh", sink.Events[0].Process!.Args![0]);
        Assert.Equal(EventOrigin.Connector, sink.Events[1].Origin);
        Assert.Equal(["/bin/true"], sink.Events[1].Process!.Args!);
    }

    [Fact]
    public void ExecChain_InOrder_MatchesEachInTurn()
    {
        var (join, sink) = NewJoin();
        join.OnRecord(Record(100, 10 * Ms, "/bin/sh"));
        join.Post(Exec(100, 10 * Ms + 10));
        join.OnRecord(Record(100, 11 * Ms, "/bin/true"));
        join.Post(Exec(100, 11 * Ms + 10));

        Assert.Equal(["/bin/sh"], sink.Events[0].Process!.Args!);
        Assert.Equal(["/bin/true"], sink.Events[1].Process!.Args!);
        Assert.Equal(2, join.Matched);
    }

    [Fact]
    public void ConnectorExecWithoutRecord_PassesUnchanged()
    {
        var (join, sink) = NewJoin();
        join.OnRecord(Record(200, 20 * Ms, "/bin/later")); // another process, later
        join.Post(Exec(100, 10 * Ms));
        var e = Assert.Single(sink.Events);
        Assert.Null(e.Process);
        Assert.Equal(1, join.Unmatched);
    }

    [Fact]
    public void RecordWithoutConnectorEvent_IsEmittedOnceTheConnectorHasMovedOn()
    {
        var (join, sink) = NewJoin();
        join.OnRecord(Record(100, 10 * Ms, "/bin/true", "lost"));
        join.Post(Fork(300, 10 * Ms + ExecArgvJoin.OrphanAfterConnectorNs / 2));
        Assert.Single(sink.Events); // not yet

        join.Post(Fork(301, 10 * Ms + ExecArgvJoin.OrphanAfterConnectorNs + Ms));
        Assert.Equal(3, sink.Events.Count);
        var orphan = Assert.IsType<ExecEvent>(sink.Events[1]);
        Assert.Equal(EventOrigin.Ebpf, orphan.Origin);
        Assert.Equal(100, orphan.Pid);
        Assert.Equal(10 * Ms, orphan.KernelTimeNs);
        Assert.Equal(["/bin/true", "lost"], orphan.Process!.Args!);

        // Its connector event arriving after all (a ptrace stop between the two): already reported.
        join.Post(Exec(100, 10 * Ms + 400 * Ms));
        Assert.Equal(3, sink.Events.Count);
    }

    [Fact]
    public void RecordWithoutConnectorEvent_IsEmittedAfterTheTimeout_WhenTheConnectorIsQuiet()
    {
        long now = 0;
        var (join, sink) = NewJoin(() => now);
        join.OnRecord(Record(100, 10 * Ms, "/bin/true"));
        now = 10 * Ms + ExecArgvJoin.OrphanAfterNs / 2;
        join.Expire();
        Assert.Empty(sink.Events);
        now = 10 * Ms + ExecArgvJoin.OrphanAfterNs + Ms;
        join.Expire();
        Assert.Equal(EventOrigin.Ebpf, Assert.Single(sink.Events).Origin);
        Assert.Equal(1, join.Orphans);
    }

    /// <summary>
    /// B10: a stopped procwatch resumed orphans every record before the connector's execs are
    /// read; the pipeline counts what the join posts, so the late connector exec must not be posted.
    /// </summary>
    [Fact]
    public void OrphanThenItsLateConnectorExec_IsCountedOnce()
    {
        long now = 0;
        var statistics = new WatcherStatistics();
        var join = new ExecArgvJoin(KernelClock.Shared, accounts: null, monotonicNow: () => now);
        var pipeline = new EventPipeline([], 1024, statistics);
        join.Attach(pipeline);
        for (int pid = 100; pid < 110; pid++)
            join.OnRecord(Record(pid, 10 * Ms + pid, "/bin/true"));
        now = 10 * Ms + ExecArgvJoin.OrphanAfterNs + Ms;
        join.Expire();
        for (int pid = 100; pid < 110; pid++)
        {
            join.Post(Exec(pid, 10 * Ms + pid + 1000));
        }
        Assert.Equal(10, pipeline.Reader.Count);
        Assert.Equal(10, statistics.Count(ProcessEventKind.Exec));
    }

    [Fact]
    public void Flush_EmitsEveryWaitingRecord()
    {
        var (join, sink) = NewJoin();
        join.OnRecord(Record(1, 1, "/a"));
        join.OnRecord(Record(2, 2, "/b"));
        join.Flush();
        Assert.Equal(2, sink.Events.Count);
    }
}
