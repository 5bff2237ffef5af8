using Xunit;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Tests.Ebpf;

[Collection(EbpfEnvironmentCollection.Name)]
public sealed class ExecCaptureDisabledTests
{
    [Fact]
    public void NoEbpfVariable_MakesItUnavailableWithTheReason()
    {
        string? saved = Environment.GetEnvironmentVariable("PROCWATCH_NO_EBPF");
        Environment.SetEnvironmentVariable("PROCWATCH_NO_EBPF", "1");
        try
        {
            Assert.False(ExecCapture.TryStart(_ => { }, out ExecCapture? capture, out string? reason));
            Assert.Null(capture);
            Assert.Equal("disabled by PROCWATCH_NO_EBPF", reason);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PROCWATCH_NO_EBPF", saved);
        }
    }

    [Fact]
    public void Start_IsReadyQuicklyAndDisposesPromptly()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(ExecCapture.TryStart(_ => { }, out ExecCapture? capture, out string? reason), reason);
        long startMs = watch.ElapsedMilliseconds;
        watch.Restart();
        capture.Dispose();
        long stopMs = watch.ElapsedMilliseconds;
        // Generous bounds: this is a smoke check, the benchmark measures start-to-ready.
        Assert.InRange(startMs, 0, 5000);
        Assert.InRange(stopMs, 0, 2000);
    }
}
