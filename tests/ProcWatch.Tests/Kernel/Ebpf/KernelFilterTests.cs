using System.Diagnostics;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// The kernel side of -p (bpf/capture_filter.h): the settings reach the program (set in
/// .rodata before load), and an exec outside the tree never enters the ring, while every fork
/// and exit does. Counted by the program's own FILTERED_EXECS counter and checked against the
/// records that did arrive.
/// </summary>
[Collection(EbpfCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KernelFilterTests
{
    [KernelFact]
    public void TreeFilter_AnOutsidersExecLeavesOnlyAMarker_ItsForksAndExitsAllCome()
    {
        // User space places new processes and forgets ended ones by their forks and exits,
        // in the tree or out: the kernel may leave out an outsider's exec only.
        string token = ExecCollector.NewToken();
        string dir = Directory.CreateTempSubdirectory("procwatch-tree-").FullName;
        using Process root = Process.Start("/bin/sleep", ["600"])!;
        try
        {
            string go = MakeFifo(dir, "outside");
            using Process outside = Process.Start("/bin/sh", ["-c", $"read x < {go}; /bin/true {token}-out; (/bin/true {token}-sub; exit 9); exit 0"])!;
            using var ring = RingRecords.Start(new ExecCaptureOptions { TreeRoots = [root.Id] });
            ulong filteredBefore = ring.Capture.Filtered(exec_counter.FILTERED_EXECS);
            File.WriteAllText(go, "go\n");
            Assert.True(outside.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.True(SpinWait.SpinUntil(() => { ring.Capture.DrainNow(); return ring.Exits().Exists(x => x.Tgid == outside.Id); }, TimeSpan.FromSeconds(30)),
                "the outsider's own exit did not come");

            Assert.Empty(ring.Execs(token));
            Assert.InRange(ring.Capture.Filtered(exec_counter.FILTERED_EXECS) - filteredBefore, 2ul, ulong.MaxValue);
            Assert.True(ring.Markers(record_kind.RECORD_EXEC) >= 2, "a filtered exec leaves a marker for the cross-check");
            Assert.Equal(0, ring.Markers(record_kind.RECORD_FORK));
            Assert.Equal(0, ring.Markers(record_kind.RECORD_EXIT));
            // The outsider forked /bin/true's process and the subshell; the subshell forked its own /bin/true.
            List<ForkRecord> forks = ring.Forks().FindAll(f => f.ParentTgid == outside.Id);
            Assert.Equal(2, forks.Count);
            ForkRecord subshell = Assert.Single(forks, f => ring.Forks().Exists(g => g.ParentTgid == f.Tgid));
            Assert.Contains(ring.Exits(), x => x.Tgid == subshell.Tgid && x.ExitCode == 9 << 8);
            Assert.Equal(0, ring.Exits().Find(x => x.Tgid == outside.Id)!.ExitCode);
        }
        finally
        {
            root.Kill();
            root.WaitForExit();
            Directory.Delete(dir, recursive: true);
        }
    }

    [KernelFact]
    public void TreeFilter_ARootAndWhatItForksOnly_PreExistingDescendantsIncluded()
    {
        string token = ExecCollector.NewToken();
        string dir = Directory.CreateTempSubdirectory("procwatch-tree-").FullName;
        try
        {
            string rootGo = MakeFifo(dir, "root"), childGo = MakeFifo(dir, "child"), outsideGo = MakeFifo(dir, "outside");
            // The root forks a child before the capture starts (a pre-existing descendant);
            // after the capture starts, both exec, and the root forks a grandchild that execs.
            using Process root = Process.Start("/bin/sh", ["-c",
                $"(read x < {childGo}; /bin/true {token}-child) & read x < {rootGo}; /bin/true {token}-root; /bin/sh -c '/bin/true {token}-grandchild; true'; wait"])!;
            using Process outside = Process.Start("/bin/sh", ["-c", $"read x < {outsideGo}; /bin/true {token}-outside"])!;
            Assert.True(SpinWait.SpinUntil(() => HasChild(root.Id), TimeSpan.FromSeconds(30)), "the root did not fork its child");

            using var ring = RingRecords.Start(new ExecCaptureOptions { TreeRoots = [root.Id], MarkFiltered = false });
            ulong filteredBefore = ring.Capture.Filtered(exec_counter.FILTERED_EXECS);
            File.WriteAllText(outsideGo, "go\n");
            File.WriteAllText(childGo, "go\n");
            File.WriteAllText(rootGo, "go\n");
            Assert.True(root.WaitForExit(TimeSpan.FromSeconds(30)) && outside.WaitForExit(TimeSpan.FromSeconds(30)));

            ring.WaitForExecs(token, 3);
            ring.Capture.DrainNow();
            string[] seen = [.. ring.Execs(token).Select(r => r.Argv[1]).Order()];
            Assert.Equal([$"{token}-child", $"{token}-grandchild", $"{token}-root"], seen);
            Assert.True(ring.Capture.Filtered(exec_counter.FILTERED_EXECS) > filteredBefore, "the outsider's exec was counted as left out");
            Assert.Equal(0, ring.Markers(record_kind.RECORD_EXEC)); // MarkFiltered = false
            // The forks of the tree came through (the root's subshell and grandchild shell), each inherited.
            Assert.Contains(ring.Forks(), f => f.ParentTgid == root.Id);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [KernelFact]
    public void TreeFilter_TheCallersSeededMembersStayInTheTree_ThoughNotBelowARoot()
    {
        // The enrichment's seed placed a process in the tree; by the time the programs load,
        // its parent may have ended and it was reparented away from the roots. The kernel's
        // tree starts from the seed too (TreeMembers), so its execs still come.
        string token = ExecCollector.NewToken();
        string dir = Directory.CreateTempSubdirectory("procwatch-tree-").FullName;
        using Process root = Process.Start("/bin/sleep", ["600"])!;
        try
        {
            string memberGo = MakeFifo(dir, "member"), outsideGo = MakeFifo(dir, "outside");
            using Process member = Process.Start("/bin/sh", ["-c", $"read x < {memberGo}; /bin/true {token}-member; (/bin/true {token}-memberchild)"])!;
            using Process outside = Process.Start("/bin/sh", ["-c", $"read x < {outsideGo}; /bin/true {token}-outside"])!;
            using var ring = RingRecords.Start(new ExecCaptureOptions { TreeRoots = [root.Id], TreeMembers = [member.Id] });
            File.WriteAllText(outsideGo, "go\n");
            File.WriteAllText(memberGo, "go\n");
            Assert.True(member.WaitForExit(TimeSpan.FromSeconds(30)) && outside.WaitForExit(TimeSpan.FromSeconds(30)));

            ring.WaitForExecs(token, 2);
            ring.Capture.DrainNow();
            string[] seen = [.. ring.Execs(token).Select(r => r.Argv[1]).Order()];
            Assert.Equal([$"{token}-member", $"{token}-memberchild"], seen);
        }
        finally
        {
            root.Kill();
            root.WaitForExit();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool HasChild(int pid) =>
        File.ReadAllText($"/proc/{pid}/task/{pid}/children").Trim().Length > 0;

    private static string MakeFifo(string dir, string name)
    {
        string path = Path.Combine(dir, name);
        Assert.Equal(0, Programs.Run("mkfifo", path));
        return path;
    }

    /// <summary>Every record of an <see cref="ExecCapture"/> started with the given options.</summary>
    private sealed class RingRecords : IDisposable
    {
        private readonly List<KernelRecord> _records = [];

        private RingRecords(ExecCaptureOptions options)
        {
            if (!ExecCapture.TryStartAll(OnRecord, options, out ExecCapture? capture, out ProcWatch.Core.Failure failure))
                throw new InvalidOperationException("eBPF exec capture unavailable: " + ProcWatch.Core.FailureText.OneLine(failure));
            Capture = capture;
        }

        public ExecCapture Capture { get; }

        public static RingRecords Start(ExecCaptureOptions options) => new(options);

        private void OnRecord(KernelRecord record)
        {
            lock (_records)
            {
                _records.Add(record);
                Monitor.PulseAll(_records);
            }
        }

        public List<ExecRecord> Execs(string token)
        {
            lock (_records)
                return [.. _records.OfType<ExecRecord>().Where(r => r.Comm == "true" && r.Argv.Length == 2 && r.Argv[1].StartsWith(token, StringComparison.Ordinal))];
        }

        public List<ForkRecord> Forks()
        {
            lock (_records)
                return [.. _records.OfType<ForkRecord>()];
        }

        public List<ExitRecord> Exits()
        {
            lock (_records)
                return [.. _records.OfType<ExitRecord>()];
        }

        public int Markers(record_kind kind)
        {
            lock (_records)
                return _records.OfType<FilteredRecord>().Count(r => r.FilteredKind == kind);
        }

        public List<ExecRecord> WaitForExecs(string token, int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            lock (_records)
            {
                while (Execs(token).Count < count && DateTime.UtcNow < deadline)
                    Monitor.Wait(_records, TimeSpan.FromMilliseconds(200));
            }
            Assert.Null(Capture.Fault);
            return Execs(token);
        }

        public void Dispose() => Capture.Dispose();
    }
}
