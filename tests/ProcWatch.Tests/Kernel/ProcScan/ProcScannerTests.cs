using ProcWatch.Tests.Helpers;
using System.Diagnostics;
using ProcWatch.Events;
using ProcWatch.Kernel;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Kernel.ProcScan;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Kernel.ProcScan;

/// <summary>The scanner driven scan by scan (no thread), on a real child process.</summary>
public class ProcScannerTests
{
    [KernelFact]
    public void APidWithANewStartTimeIsAnExitThenANewProcess()
    {
        using Process child = Process.Start("/bin/sleep", ["5", ProcfsEventSourceTests.UniqueSleepToken()]);
        try
        {
            // Wait until the child runs sleep (not the copy of this test host before its exec).
            Assert.True(SpinWait.SpinUntil(() => ProcSmallFiles.TryReadComm(child.Id, out string comm) && comm == "sleep", 10_000));
            var sink = new CollectingSink();
            using var scanner = new ProcScanner(ProcDirectory.Open(), sink, new ProcfsOptions(),
                KernelClock.Shared, SystemBoot.Shared);
            scanner.Baseline();
            TrackedProcess? tracked = scanner.Find(child.Id);
            Assert.NotNull(tracked);
            ulong realStart = tracked.StartTimeTicks;

            // Pretend the pid belonged to another, older process with another name: it was reused.
            tracked.StartTimeTicks = realStart - 1;
            tracked.CommBytes = "older"u8.ToArray();
            scanner.Scan(list: true, recheckAll: true);

            var exit = sink.Find(e => e is ExitEvent && e.Pid == child.Id) as ExitEvent;
            Assert.NotNull(exit);
            Assert.Null(exit.Status);
            ProcessEvent? start = sink.Find(e => e is ExecEvent or ForkEvent && e.Pid == child.Id);
            Assert.NotNull(start);
            Assert.True(start.KernelTimeNs >= exit.KernelTimeNs);
            Assert.Equal(realStart, scanner.Find(child.Id)?.StartTimeTicks);
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }
}
