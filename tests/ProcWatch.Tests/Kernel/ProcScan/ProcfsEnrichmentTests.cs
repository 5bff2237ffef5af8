using ProcWatch.Core;
using ProcWatch.Tests.Helpers;
using System.Diagnostics;
using ProcWatch.Events;
using ProcWatch.Kernel;
using ProcWatch.Tracking;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Kernel.ProcScan;

/// <summary>
/// The procfs backend reads a process at its scan; by the time the enrichment stage sees the
/// event the process may be gone. What the scan captured must survive enrichment.
/// </summary>
public class ProcfsEnrichmentTests
{
    private sealed class Capture : IEventSink
    {
        public List<ProcessEvent> Events { get; } = [];
        public void Post(ProcessEvent processEvent) => Events.Add(processEvent);
    }

    [KernelFact]
    public void ScannedArgvOfAVanishedProcessIsKept()
    {
        using Process gone = Process.Start("/bin/true")!;
        gone.WaitForExit();
        int pid = gone.Id;
        long now = KernelClock.MonotonicNs();
        var info = new ProcessInfo
        {
            Pid = pid, ParentPid = Environment.ProcessId, Name = "true", Executable = "/usr/bin/true",
            Args = ["/bin/true", "scanned"], ArgvSource = ArgvSource.Procfs, StartTimeTicks = 12345,
        };
        var stage = new EnrichmentStage(new EnrichmentOptions());
        var sink = new Capture();
        stage.Process(new ExecEvent
        {
            KernelTimeNs = now, Timestamp = DateTimeOffset.UtcNow, Pid = pid, Tid = pid, Origin = EventOrigin.Procfs, Process = info,
        }, sink);
        stage.Process(new ExitEvent
        {
            KernelTimeNs = now, Timestamp = DateTimeOffset.UtcNow, Pid = pid, Tid = pid, Origin = EventOrigin.Procfs, Status = null,
            Duration = TimeSpan.FromMilliseconds(3), Process = info,
        }, sink);

        var exec = Assert.IsType<ExecEvent>(sink.Events[0]);
        Assert.Equal(["/bin/true", "scanned"], exec.Process?.Args);
        Assert.Equal(ArgvSource.Procfs, exec.Process?.ArgvSource);
        Assert.Equal("/usr/bin/true", exec.Process?.Executable);
        var exit = Assert.IsType<ExitEvent>(sink.Events[1]);
        Assert.Null(exit.Status);
        Assert.Equal(TimeSpan.FromMilliseconds(3), exit.Duration);
    }
}
