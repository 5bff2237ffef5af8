using System.Diagnostics;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// The kernel side of -u and -p (bpf/capture_filter.h): the settings reach the program (set in
/// .rodata before load), and what they leave out never enters the ring. Counted by the
/// program's own FILTERED_* counters and checked against the records that did arrive.
/// </summary>
[Collection(EbpfCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KernelFilterTests
{
    private const uint Nobody = 65534;
    private const string AsNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups";

    [KernelFact]
    public void UserFilter_OtherUsersExecsNeverReachTheRing()
    {
        const int RootExecs = 30;
        string token = ExecCollector.NewToken();
        using var ring = RingRecords.Start(new ExecCaptureOptions { UserId = Nobody });
        ulong filteredBefore = ring.Capture.Filtered(exec_counter.FILTERED_EXECS);

        // Root's execs, then nobody's (real uid), then root's with nobody as effective uid only.
        Assert.Equal(0, Programs.Run("/bin/sh", "-c",
            $"i=0; while [ $i -lt {RootExecs} ]; do /bin/true {token}-root-$i; i=$((i+1)); done; " +
            $"{AsNobody} /bin/true {token}-real; setpriv --euid=65534 /bin/true {token}-effective"));

        List<ExecRecord> execs = ring.WaitForExecs(token, 2);
        ring.Capture.DrainNow();
        execs = ring.Execs(token);
        Assert.Equal(2, execs.Count);
        ExecRecord real = Assert.Single(execs, r => r.Argv[1] == $"{token}-real");
        Assert.Equal(Nobody, real.Uid);
        ExecRecord effective = Assert.Single(execs, r => r.Argv[1] == $"{token}-effective");
        Assert.Equal(0u, effective.Uid);
        Assert.Equal(Nobody, effective.Identity.EffectiveUid);
        // Every root exec was counted as left out (other users' execs on this host may add more).
        Assert.InRange(ring.Capture.Filtered(exec_counter.FILTERED_EXECS) - filteredBefore, (ulong)RootExecs, ulong.MaxValue);
        Assert.True(ring.Markers(record_kind.RECORD_EXEC) >= RootExecs, "a filtered exec leaves a marker for the connector join");
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
