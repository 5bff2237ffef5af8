using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Filtering;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Tracking;
using Xunit;

namespace ProcWatch.Tests.Tracking;

/// <summary>
/// The watched tree's membership (<c>-p</c>) against the enrichment stage's bounds, with event
/// fixtures: pids beyond pid_max, which /proc knows nothing of, so only the stage's own records
/// can place them (pid 1, an outsider, is real). Each test fails on the code before
/// TreeMembership: membership then lived in the evictable table entries and followed the
/// parent link only.
/// </summary>
public sealed class TreeMembershipTests
{
    private const int Root = 10_000_000;
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

    private static EnrichmentStage Stage(int tableCapacity = 16, int treeCapacity = 65536) =>
        new(new EnrichmentOptions
        {
            TableCapacity = tableCapacity,
            TreeCapacity = treeCapacity,
            Filter = new ProcessFilter { Pids = [Root] },
            AncestorDepth = 0,
        });

    private static ForkEvent Fork(int pid, int parent, int creator = 0) => new()
    {
        KernelTimeNs = 1, Timestamp = T0, Pid = pid, Tid = pid, ParentPid = parent, ParentTid = parent,
        Origin = creator != 0 ? EventOrigin.Ebpf : EventOrigin.Connector,
        Record = creator != 0 ? new ForkRecord { Tgid = pid, KernelTimeNs = 1, ParentTgid = parent, CreatorTgid = creator } : null,
    };

    private static ExitEvent Exit(int pid, int parent) => new()
    {
        KernelTimeNs = 2, Timestamp = T0, Pid = pid, Tid = pid, ParentPid = parent, ParentTid = parent, Status = new WaitStatus(0),
    };

    /// <summary>Outsiders (children of init) forking until the table has evicted everything before them.</summary>
    private static void FloodTable(EnrichmentStage stage, Sink sink, int count, int firstPid = 11_000_000)
    {
        for (int i = 0; i < count; i++)
            stage.Process(Fork(firstPid + i, 1), sink);
    }

    [Fact]
    public void AMembersChildIsInTheTree_AfterTheTableEvictedTheMember()
    {
        var stage = Stage();
        var sink = new Sink();
        stage.Process(Fork(Root + 1, Root), sink);
        FloodTable(stage, sink, 200);
        Assert.True(stage.TableEvictions > 0);

        stage.Process(Fork(Root + 2, Root + 1), sink);
        stage.Process(Exit(Root + 1, 1), sink); // its exit too: a member to the end, whoever its parent is by then

        Assert.Equal([Root + 1, Root + 2, Root + 1], sink.Pids(ProcessEventKind.Fork, ProcessEventKind.Exit));
        Assert.Empty(sink.OfType<LostEvent>());
    }

    [Fact]
    public void CloneParentChild_IsPlacedByItsCreator_NotByItsParent()
    {
        var stage = Stage();
        var sink = new Sink();
        stage.Process(Fork(Root + 1, Root), sink);
        // The root's CLONE_PARENT child: its parent is the root's parent (init here), its creator the root.
        stage.Process(Fork(Root + 2, 1, creator: Root), sink);
        // A member's, after the member was evicted; and an outsider's, which stays outside.
        FloodTable(stage, sink, 200);
        stage.Process(Fork(Root + 3, 1, creator: Root + 1), sink);
        stage.Process(Fork(11_500_000, 1, creator: 11_000_199), sink); // the flood's last outsider, still in the table
        // What the CLONE_PARENT children create is in the tree too.
        stage.Process(Fork(Root + 4, Root + 3), sink);

        Assert.Equal([Root + 1, Root + 2, Root + 3, Root + 4], sink.Pids(ProcessEventKind.Fork));
        // The event still names the real parent: the creator decides membership, it is not made the parent.
        Assert.Equal(1, sink.OfType<ForkEvent>().Single(f => f.Pid == Root + 2).ParentPid);
    }

    [Fact]
    public void PastTheMemberBound_MembersArePlacedFailSafe_AndItIsReportedInTheStream()
    {
        var stage = Stage(tableCapacity: 16, treeCapacity: 4);
        var sink = new Sink();
        // A chain of 10 members, each the previous one's child: 6 are past the bound.
        for (int i = 1; i <= 10; i++)
            stage.Process(Fork(Root + i, Root + i - 1), sink);
        Assert.Equal(4, stage.Tree!.Count);
        Assert.Equal(6, stage.Tree.Unrecorded);
        // The last member's entry is evicted: nothing records it, and /proc does not know it
        // either. Its child cannot be placed: it is included and counted, not dropped.
        FloodTable(stage, sink, 200);
        stage.Process(Fork(Root + 11, Root + 10), sink);

        Assert.Contains(Root + 11, sink.Pids(ProcessEventKind.Fork));
        Assert.Equal(1, stage.Tree.Undecided);
        // The first is said at once (with the event that hit the bound), the rest at most once a second.
        List<LostEvent> reports = sink.OfType<LostEvent>().ToList();
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.Equal(LossReason.TreeBound, r.Reason));
        Assert.Equal(1, reports[0].Count);
        Assert.True(reports.Sum(r => r.Count) <= stage.Tree.Unrecorded + stage.Tree.Undecided);
        Assert.Equal("tree_bound", ProcWatch.Output.EcsJsonFormatter.LostReasonName(reports[0].Reason));
        // The outsiders of the flood were placed exactly (their parent, init, is known): no undecided among them.
        Assert.DoesNotContain(sink.Pids(ProcessEventKind.Fork), pid => pid >= 11_000_000);
    }

    [Fact]
    public void AReusedPid_IsNotAMemberByItsPredecessorsRecord()
    {
        var membership = new TreeMembership(new ProcessFilter { Pids = [Root] }, 8);
        membership.Add(Root + 1, startTicks: 1000, startExact: true);
        Assert.True(membership.IsMember(Root + 1, 1000, startExact: true));
        Assert.False(membership.IsMember(Root + 1, 5000, startExact: true)); // another process on the pid
        Assert.False(membership.Contains(Root + 1)); // and the stale record is gone
        Assert.True(membership.Adopts(Root)); // a root, by pid, for good
    }

    private sealed class Sink : IEventSink
    {
        private readonly List<ProcessEvent> _events = [];

        public void Post(ProcessEvent processEvent) => _events.Add(processEvent);

        public IEnumerable<T> OfType<T>() => _events.OfType<T>();

        public List<int> Pids(params ProcessEventKind[] kinds) => _events.Where(e => kinds.Contains(e.Kind)).Select(e => e.Pid).ToList();
    }
}
