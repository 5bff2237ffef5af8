using ProcWatch.Tests.Helpers;
using Xunit;
using ProcWatch.Events;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Tests.Kernel.Ebpf;

[Collection(EbpfEnvironmentCollection.Name)]
public sealed class ExecCaptureDisabledTests
{
    [KernelFact]
    public void NoEbpfVariable_MakesItUnavailableWithTheReason()
    {
        string? saved = Environment.GetEnvironmentVariable("PROCWATCH_NO_EBPF");
        Environment.SetEnvironmentVariable("PROCWATCH_NO_EBPF", "1");
        try
        {
            Assert.False(ExecCapture.TryStart(_ => { }, out ExecCapture? capture, out ProcWatch.Core.Failure failure));
            Assert.Null(capture);
            Assert.Equal(ProcWatch.Core.FailureStep.DisabledByEnvironment, failure.Step);
            Assert.Equal("disabled by PROCWATCH_NO_EBPF", ProcWatch.Core.FailureText.OneLine(failure));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PROCWATCH_NO_EBPF", saved);
        }
    }

    [KernelFact]
    public void NoEbpfVariable_AutoBackendWarnsAndTheConnectorStillReportsExecs()
    {
        string? saved = Environment.GetEnvironmentVariable("PROCWATCH_NO_EBPF");
        Environment.SetEnvironmentVariable("PROCWATCH_NO_EBPF", "1");
        try
        {
            string token = ExecCollector.NewToken();
            var (watcher, execs, gate) = EbpfWatcherTests.Watch(ProcWatch.Backend.Auto, token, out string? warning);
            using (watcher)
            {
                Assert.NotNull(warning);
                Assert.Contains("disabled by PROCWATCH_NO_EBPF", warning);
                Assert.IsType<ProcWatch.Kernel.Connector.ConnectorEventSource>(Assert.Single(watcher.Sources));
                // A process that lives long enough for /proc to be read.
                Assert.Equal(0, Programs.Run("/bin/sh", "-c", "sleep 0.3", token));
                var exec = Assert.Single(EbpfWatcherTests.WaitFor(execs, gate, 1));
                Assert.Equal(ArgvSource.Procfs, exec.Process!.ArgvSource);
                Assert.Equal(["/bin/sh", "-c", "sleep 0.3", token], exec.Process.Args!);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("PROCWATCH_NO_EBPF", saved);
        }
    }

    [KernelFact]
    public void NoEbpfVariable_EbpfBackendFailsWithTheReason()
    {
        string? saved = Environment.GetEnvironmentVariable("PROCWATCH_NO_EBPF");
        Environment.SetEnvironmentVariable("PROCWATCH_NO_EBPF", "1");
        try
        {
            var e = Assert.Throws<ProcWatch.ProcWatchException>(() =>
                ProcWatch.Watching.BackendSelector.Select(ProcWatch.Backend.Ebpf, new ProcWatch.WatchOptions()));
            Assert.Equal("eBPF exec capture unavailable: disabled by PROCWATCH_NO_EBPF", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PROCWATCH_NO_EBPF", saved);
        }
    }

    [KernelFact]
    public void Start_IsReadyQuicklyAndDisposesPromptly()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(ExecCapture.TryStart(_ => { }, out ExecCapture? capture, out ProcWatch.Core.Failure failure), ProcWatch.Core.FailureText.OneLine(failure));
        long startMs = watch.ElapsedMilliseconds;
        watch.Restart();
        capture.Dispose();
        long stopMs = watch.ElapsedMilliseconds;
        // Generous bounds: this is a smoke check, the benchmark measures start-to-ready.
        Assert.InRange(startMs, 0, 5000);
        Assert.InRange(stopMs, 0, 2000);
    }
}
