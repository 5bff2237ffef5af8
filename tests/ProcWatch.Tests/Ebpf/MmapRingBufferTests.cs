using Xunit;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;

namespace ProcWatch.Tests.Ebpf;

/// <summary>
/// The ring is read through a window smaller than the ring (MmapRingBuffer.WindowBytes): real
/// execs, enough bytes of argv to move the window several times and wrap the ring, each record
/// checked byte for byte.
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class MmapRingBufferTests
{
    [KernelFact]
    public void Records_across_window_moves_and_the_ring_wrap_arrive_whole()
    {
        const int Batches = 16, PerBatch = 20;
        int ringBytes = 2 * MmapRingBuffer.WindowBytes;
        string token = ExecCollector.NewToken();
        var seen = new Dictionary<string, string[]>();
        var options = new ExecCaptureOptions { RingBufferBytes = ringBytes, WakeupInterval = TimeSpan.FromMinutes(10) };
        Assert.True(ExecCapture.TryStart(r =>
        {
            if (r.Comm == "true" && r.Argv.Length == 3 && r.Argv[1].StartsWith(token, StringComparison.Ordinal))
            {
                seen[r.Argv[1]] = r.Argv;
            }
        }, options, startThread: false, out ExecCapture? capture, out string? reason), reason);
        using (capture)
        {
            // Sizes from 1 to 4 KiB that do not divide the ring: records start at every alignment and
            // some run past the window's end and the ring's end. 320 records of ~2.5 KiB: about 1.5
            // times round the ring, drained every 20 so that it never fills.
            for (int b = 0; b < Batches; b++)
            {
                string script = $"for i in $(seq {b * PerBatch} {(b + 1) * PerBatch - 1}); do /bin/true {token}-$i \"$(head -c $((1000 + i * 997 % 3100)) /dev/zero | tr '\\0' x)\"; done";
                Assert.Equal(0, Programs.Run("/bin/sh", "-c", script));
                while (capture.DrainOnce() > 0)
                {
                }
            }
            Assert.Equal(0UL, capture.Drops);
        }
        for (int i = 0; i < Batches * PerBatch; i++)
        {
            Assert.True(seen.TryGetValue($"{token}-{i}", out string[]? argv), $"exec {i} missing");
            Assert.Equal("/bin/true", argv[0]);
            Assert.Equal(new string('x', 1000 + i * 997 % 3100), argv[2]);
        }
    }
}
