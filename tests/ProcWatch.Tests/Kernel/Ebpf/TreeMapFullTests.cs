using System.Diagnostics;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// The kernel's tree map (<c>-p</c>) filling: it fails open (every exec comes, nothing is
/// lost) and the source says so in the stream, as a <c>tree_bound</c> report, as user space
/// does for its own member bound. Real kernel; the map made small (4 entries) so that a root
/// with a few live children fills it.
/// </summary>
[Collection(EbpfCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TreeMapFullTests
{
    [KernelFact]
    public void TreeMapFull_IsReportedAsTreeBound_AndEveryExecStillComes()
    {
        string token = ExecCollector.NewToken();
        string dir = Directory.CreateTempSubdirectory("procwatch-treefull-").FullName;
        string go = Path.Combine(dir, "go");
        Assert.Equal(0, Programs.Run("mkfifo", go));
        // Eight children alive at once (each waits for the root's end), then each runs /bin/true.
        using Process root = Process.Start("/bin/sh", ["-c",
            $"read x < {go}; for i in 1 2 3 4 5 6 7 8; do (/bin/sleep 600; /bin/true {token}-$i) & done; wait"])!;
        var sink = new LockedSink();
        Assert.True(EbpfExecSource.TryCreate(ProcessEventKinds.Fork | ProcessEventKinds.Exec | ProcessEventKinds.Exit, crossCheck: null,
            out EbpfExecSource? source, out Failure failure, new ExecCaptureOptions { TreeRoots = [root.Id], TreeMapEntries = 4 }), FailureText.OneLine(failure));
        try
        {
            source.Start(sink, new WatcherStatistics());
            File.WriteAllText(go, "go\n");
            // The root (1 entry) and its first three children fill the map; the fourth does not fit.
            Assert.True(SpinWait.SpinUntil(() => sink.Lost(LossReason.TreeBound) > 0, TimeSpan.FromSeconds(60)),
                $"no tree_bound report; forks by the root: {sink.Count<ForkEvent>(f => f.ParentPid == root.Id)}");
            Assert.All(sink.Of<LostEvent>().FindAll(l => l.Reason == LossReason.TreeBound), l => Assert.Equal(EventOrigin.Ebpf, l.Origin));

            // Fail open: every child's exec comes although the map could not hold them all.
            foreach (int child in ChildrenOf(root.Id))
                Assert.True(Programs.Run("kill", child.ToString(System.Globalization.CultureInfo.InvariantCulture)) == 0 || !File.Exists($"/proc/{child}/stat"));
            Assert.True(SpinWait.SpinUntil(() => sink.Count<ExecEvent>(e => e.Record is ExecRecord r && r.Argv.Length > 1 && r.Argv[1].StartsWith(token, StringComparison.Ordinal)) == 8,
                TimeSpan.FromSeconds(60)), "an exec was left out although the map was full");
        }
        finally
        {
            source.Dispose();
            if (!root.HasExited)
                root.Kill(entireProcessTree: true);
            root.WaitForExit();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The root's subshells' /bin/sleep processes (children of its children).</summary>
    private static List<int> ChildrenOf(int root)
    {
        var sleeps = new List<int>();
        foreach (int sub in Children(root))
            sleeps.AddRange(Children(sub));
        return sleeps;
    }

    private static IEnumerable<int> Children(int pid)
    {
        string path = $"/proc/{pid}/task/{pid}/children";
        string text = File.Exists(path) ? File.ReadAllText(path) : "";
        foreach (string s in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            yield return int.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>What the source posts, from its ring and tick threads.</summary>
    private sealed class LockedSink : IEventSink
    {
        private readonly List<ProcessEvent> _events = [];
        private readonly Lock _gate = new();

        public void Post(ProcessEvent processEvent)
        {
            lock (_gate) _events.Add(processEvent);
        }

        public List<T> Of<T>() where T : ProcessEvent
        {
            lock (_gate) return _events.OfType<T>().ToList();
        }

        public int Count<T>(Predicate<T> match) where T : ProcessEvent => Of<T>().FindAll(match).Count;

        public long Lost(LossReason reason) => Of<LostEvent>().FindAll(l => l.Reason == reason).Sum(l => l.Count);
    }
}
