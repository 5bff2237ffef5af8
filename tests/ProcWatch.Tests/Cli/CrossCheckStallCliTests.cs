using System.Text.Json;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// The cross-check's counts of a window are kept 16 windows (the kernel's per-CPU slots and its
/// own); a procwatch stopped longer than that (SIGSTOP, a frozen VM) cannot judge the windows
/// whose counts may have been reused meanwhile. It says so in the stream (a <c>lost</c> event,
/// reason <c>cross_check_skipped</c>, count = windows) instead of judging them as a silent surplus.
/// </summary>
[Collection(ProcWatch.Tests.Kernel.Ebpf.EbpfCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CrossCheckStallCliTests
{
    private const int SIGCONT = 18, SIGSTOP = 19;

    [KernelFact]
    public void AStallLongerThanTheCountsAreKept_IsReportedAsSkippedWindows()
    {
        using CliProcess procwatch = CliRunner.Start("-f", "json", "-e", "exec", "-v");
        procwatch.WaitForReady(TimeSpan.FromSeconds(60));
        Assert.Contains("cross-check", procwatch.Stderr, StringComparison.Ordinal); // the eBPF backend, which cross-checks
        procwatch.Signal(SIGSTOP);
        try
        {
            Thread.Sleep(TimeSpan.FromSeconds(20)); // the stall itself: more than the 16 windows a count is kept
        }
        finally
        {
            procwatch.Signal(SIGCONT);
        }
        Assert.True(procwatch.WaitUntil(() => procwatch.Stdout.Contains("\"cross_check_skipped\"", StringComparison.Ordinal), TimeSpan.FromSeconds(60)),
            "no cross_check_skipped report; stderr:\n" + procwatch.Stderr);
        procwatch.Signal(CliRunner.SIGINT);
        procwatch.WaitForExit(TimeSpan.FromSeconds(60));

        string line = procwatch.StdoutLines().First(l => l.Contains("\"cross_check_skipped\"", StringComparison.Ordinal));
        using JsonDocument doc = JsonDocument.Parse(line);
        JsonElement root = doc.RootElement;
        Assert.Equal("lost", root.GetProperty("event").GetProperty("action").GetString());
        JsonElement pw = root.GetProperty("procwatch");
        Assert.Equal("ebpf", pw.GetProperty("source").GetString());
        // Windows from a few seconds before the stop to 15 s before the end of the stall: at least a handful.
        Assert.InRange(pw.GetProperty("lost_count").GetInt64(), 1, 40);
    }
}
