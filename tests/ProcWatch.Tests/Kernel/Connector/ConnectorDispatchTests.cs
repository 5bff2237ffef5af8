using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel;
using ProcWatch.Kernel.Connector;
using ProcWatch.Watching;
using Xunit;
using static ProcWatch.Tests.Kernel.Connector.ConnectorFixtures;

namespace ProcWatch.Tests.Kernel.Connector;

/// <summary>Collects what a source posts.</summary>
/// <summary>Collects what a source posts and counts it the way <see cref="EventPipeline"/> does on entry.</summary>
internal sealed class CollectingSink(WatcherStatistics? counted = null) : IEventSink
{
    public List<ProcessEvent> Events { get; } = [];

    public void Post(ProcessEvent processEvent)
    {
        counted?.OnPosted(processEvent);
        Events.Add(processEvent);
    }
}

/// <summary>Datagram bytes → typed events, through <see cref="ConnectorEventSource.Dispatch"/> without a socket.</summary>
public class ConnectorDispatchTests
{
    internal static (ConnectorEventSource Source, CollectingSink Sink, WatcherStatistics Stats) NewSource(
        ProcessEventKinds kinds = ProcessEventKinds.All)
    {
        var source = new ConnectorEventSource(kinds, 1 << 20, new KernelClock());
        var stats = new WatcherStatistics();
        var sink = new CollectingSink(stats);
        source.Attach(sink, stats);
        return (source, sink, stats);
    }

    private static T DispatchOne<T>(byte[] procEvent) where T : ProcessEvent
    {
        (ConnectorEventSource source, CollectingSink sink, WatcherStatistics stats) = NewSource();
        source.Dispatch(Message(procEvent));
        ProcessEvent e = Assert.Single(sink.Events);
        Assert.Equal(1, stats.Total);
        Assert.Equal(1, stats.Count(e.Kind));
        Assert.Equal((long)Timestamp, e.KernelTimeNs);
        Assert.Equal((int)Cpu, e.Cpu);
        Assert.Equal(EventOrigin.Connector, e.Origin);
        return Assert.IsType<T>(e);
    }

    [Fact]
    public void Ack_IsNotPosted()
    {
        (ConnectorEventSource source, CollectingSink sink, WatcherStatistics stats) = NewSource();
        source.Dispatch(Message(Ack()));
        Assert.Empty(sink.Events);
        Assert.Equal(0, stats.Total);
        Assert.Equal(0, stats.Malformed);
    }

    [Fact]
    public void Fork_DescribesTheChild()
    {
        ForkEvent e = DispatchOne<ForkEvent>(Fork(parentPid: 101, parentTgid: 100, childPid: 200, childTgid: 200));
        Assert.Equal(ProcessEventKind.Fork, e.Kind);
        Assert.False(e.IsThread);
        Assert.Equal(200, e.Pid);
        Assert.Equal(200, e.Tid);
        Assert.Equal(100, e.ParentPid);
        Assert.Equal(101, e.ParentTid);
    }

    [Fact]
    public void Clone_IsAThread()
    {
        ForkEvent e = DispatchOne<ForkEvent>(Fork(300, 300, 301, 300));
        Assert.Equal(ProcessEventKind.Clone, e.Kind);
        Assert.True(e.IsThread);
        Assert.Equal(300, e.Pid);
        Assert.Equal(301, e.Tid);
    }

    [Fact]
    public void Exec()
    {
        ExecEvent e = DispatchOne<ExecEvent>(ConnectorFixtures.Exec(7, 7));
        Assert.Equal(7, e.Pid);
    }

    [Fact]
    public void UidAndGid()
    {
        UidEvent u = DispatchOne<UidEvent>(ConnectorFixtures.Uid(8, 8, 65534, 0));
        Assert.Equal(65534u, u.RealUid);
        Assert.Equal(0u, u.EffectiveUid);
        GidEvent g = DispatchOne<GidEvent>(ConnectorFixtures.Gid(8, 8, 100, 65534));
        Assert.Equal(100u, g.RealGid);
        Assert.Equal(65534u, g.EffectiveGid);
    }

    [Fact]
    public void Sid() => Assert.Equal(9, DispatchOne<SidEvent>(ConnectorFixtures.Sid(9, 9)).Pid);

    [Fact]
    public void Ptrace_AttachAndDetach()
    {
        PtraceEvent attach = DispatchOne<PtraceEvent>(ConnectorFixtures.Ptrace(10, 10, 11, 11));
        Assert.True(attach.IsAttach);
        Assert.Equal(11, attach.TracerPid);
        PtraceEvent detach = DispatchOne<PtraceEvent>(ConnectorFixtures.Ptrace(10, 10, 0, 0));
        Assert.False(detach.IsAttach);
    }

    [Fact]
    public void Comm_DecodedToFirstNul()
    {
        CommEvent e = DispatchOne<CommEvent>(ConnectorFixtures.Comm(12, 12, "newname\0garbage"u8.ToArray()));
        Assert.Equal("newname", e.Comm);
    }

    [Fact]
    public void Comm_InvalidUtf8_IsLossless()
    {
        byte[] name = [0x41, 0xff, 0x1b, 0xc3, 0x28, 0];
        CommEvent e = DispatchOne<CommEvent>(ConnectorFixtures.Comm(12, 12, name));
        Assert.Equal("A\udcff\u001b\udcc3(", e.Comm);
        Assert.Equal(name[..5], ProcWatch.Text.ProcText.Encode(e.Comm));
    }

    [Fact]
    public void Comm_FullSixteenBytes_NoNul()
    {
        CommEvent e = DispatchOne<CommEvent>(ConnectorFixtures.Comm(12, 12, "0123456789abcdef"u8.ToArray()));
        Assert.Equal("0123456789abcdef", e.Comm);
    }

    [Fact]
    public void Coredump()
    {
        CoredumpEvent e = DispatchOne<CoredumpEvent>(ConnectorFixtures.Coredump(13, 13, 12, 12));
        Assert.Equal(13, e.Pid);
        Assert.Equal(12, e.ParentPid);
    }

    [Fact]
    public void Exit_WithCode()
    {
        ExitEvent e = DispatchOne<ExitEvent>(ConnectorFixtures.Exit(14, 14, 3 << 8, 17, 13, 13));
        WaitStatus status = Assert.NotNull(e.Status);
        Assert.True(status.Exited);
        Assert.Equal(3, status.ExitCode);
        Assert.Null(status.Signal);
        Assert.Equal(17, e.ExitSignal);
        Assert.Equal(13, e.ParentPid);
        Assert.False(e.IsThread);
    }

    [Fact]
    public void Exit_BySignal_WithCore()
    {
        ExitEvent e = DispatchOne<ExitEvent>(ConnectorFixtures.Exit(15, 15, 0x80 | 11, 17, 1, 1));
        WaitStatus status = Assert.NotNull(e.Status);
        Assert.False(status.Exited);
        Assert.Equal(11, status.Signal);
        Assert.True(status.CoreDumped);
        Assert.Equal(139, status.ShellCode);
    }

    [Fact]
    public void Exit_OfAThread()
    {
        ExitEvent e = DispatchOne<ExitEvent>(ConnectorFixtures.Exit(16, 15, 0, 0, 1, 1));
        Assert.True(e.IsThread);
        Assert.Equal(15, e.Pid);
        Assert.Equal(16, e.Tid);
    }

    [Fact]
    public void Unknown_IsKept()
    {
        UnknownEvent e = DispatchOne<UnknownEvent>(Event(0x00000800, 17, 17));
        Assert.Equal(0x800u, e.What);
        Assert.Equal(17, e.Pid);
    }

    [Fact]
    public void Timestamp_IsConvertedToWallClock()
    {
        var clock = new KernelClock();
        long now = KernelClock.MonotonicNs();
        DateTimeOffset wall = clock.ToWallClock(now);
        Assert.InRange(wall, DateTimeOffset.UtcNow.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), clock.ToWallClock(now + 1_500_000_000) - wall);
    }

    [Fact]
    public void UserSpaceFilter_DropsUnwantedKinds()
    {
        (ConnectorEventSource source, CollectingSink sink, WatcherStatistics stats) =
            NewSource(ProcessEventKinds.Fork | ProcessEventKinds.Exit);
        source.Dispatch(Message(Fork(1, 1, 2, 2)));
        source.Dispatch(Message(Fork(1, 1, 3, 1)));               // a clone: not asked for
        source.Dispatch(Message(ConnectorFixtures.Exec(2, 2)));   // not asked for
        source.Dispatch(Message(Event(0x800, 2, 2)));             // unknown: not asked for
        source.Dispatch(Message(ConnectorFixtures.Exit(2, 2, 0, 17, 1, 1)));
        Assert.Equal([ProcessEventKind.Fork, ProcessEventKind.Exit], sink.Events.Select(e => e.Kind));
        Assert.Equal(2, stats.Total);
    }

    [Fact]
    public void Malformed_IsCounted_AndNothingPosted()
    {
        (ConnectorEventSource source, CollectingSink sink, WatcherStatistics stats) = NewSource();
        source.Dispatch(Message(Fork(1, 1, 2, 2)[..20]));
        source.Dispatch([1, 2, 3]);
        Assert.Empty(sink.Events);
        Assert.Equal(2, stats.Malformed);
    }

    [Fact]
    public void MultiMessageDatagram_PostsAll()
    {
        (ConnectorEventSource source, CollectingSink sink, _) = NewSource();
        source.Dispatch(Datagram(
            Message(Ack()),
            Netlink(1, []),
            Message(Fork(1, 1, 2, 2)),
            Message(ConnectorFixtures.Exec(2, 2)),
            Message(ConnectorFixtures.Exit(2, 2, 0, 17, 1, 1))));
        Assert.Equal([ProcessEventKind.Fork, ProcessEventKind.Exec, ProcessEventKind.Exit], sink.Events.Select(e => e.Kind));
    }

    [Fact]
    public void KernelMask_ForKinds()
    {
        Assert.Equal(CnProc.PROC_EVENT_FORK | CnProc.PROC_EVENT_EXEC | CnProc.PROC_EVENT_EXIT,
            ProcEventKindMap.ToKernelMask(ProcessEventKinds.Default));
        Assert.Equal(CnProc.PROC_EVENT_FORK, ProcEventKindMap.ToKernelMask(ProcessEventKinds.Clone));
        Assert.Equal(CnProc.PROC_EVENT_COREDUMP, ProcEventKindMap.ToKernelMask(ProcessEventKinds.Coredump));
        Assert.Equal(CnProc.PROC_EVENT_ALL, ProcEventKindMap.ToKernelMask(ProcessEventKinds.All));
    }
}
