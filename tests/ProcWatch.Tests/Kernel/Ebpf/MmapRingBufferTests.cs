using Xunit;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;

namespace ProcWatch.Tests.Kernel.Ebpf;

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
        const int Batches = 48, PerBatch = 10;
        int ringBytes = 4 * MmapRingBuffer.WindowBytes;
        string token = ExecCollector.NewToken();
        var seen = new Dictionary<string, string[]>();
        long bytes = 0;
        var options = new ExecCaptureOptions { RingBufferBytes = ringBytes, WakeupInterval = TimeSpan.FromMinutes(10) };
        Assert.True(ExecCapture.TryStart(r =>
        {
            if (r.Comm == "true" && r.Argv.Length >= 3 && r.Argv[1].StartsWith(token, StringComparison.Ordinal))
            {
                seen[r.Argv[1]] = [.. r.Argv];
                bytes += r.Argv[2].Length;
            }
        }, options, startThread: false, out ExecCapture? capture, out ProcWatch.Core.Failure failure), ProcWatch.Core.FailureText.OneLine(failure));
        ulong drops;
        using (ExecCapture ring = capture!)
        {
            // Sizes from 1 to 4 KiB that do not divide the ring: records start at every alignment and
            // some run past the window's end and the ring's end. 480 records of ~2.5 KiB: past the
            // ring's end once, drained every 10 so that they never fill it (the ring is host-wide:
            // other processes' execs may, and are counted as drops).
            for (int b = 0; b < Batches; b++)
            {
                // Halfway, an exec whose 360 KiB of argv (three arguments of 120 KiB, the most one may hold)
                // comes as several 64 KiB chunk records across windows.
                string big = b == Batches / 2 ? $"a=$(head -c 122880 /dev/zero | tr '\\0' a); /bin/true {token}-big $a $a $a; " : "";
                string script = big + $"for i in $(seq {b * PerBatch} {(b + 1) * PerBatch - 1}); do /bin/true {token}-$i \"$(head -c $((1000 + i * 997 % 3100)) /dev/zero | tr '\\0' x)\"; done";
                Assert.Equal(0, Programs.Run("/bin/sh", "-c", script));
                while (ring.DrainOnce() > 0)
                {
                }
            }
            drops = ring.Drops;
        }
        Assert.True(seen.Remove(token + "-big", out string[]? large) || drops > 0, "the exec with 360 KiB of argv is missing");
        if (large is not null)
        {
            Assert.Equal(5, large.Length);
            Assert.All(large[2..], a => Assert.Equal(new string('a', 122880), a));
        }
        foreach ((string key, string[] argv) in seen)
        {
            int i = int.Parse(key.AsSpan(token.Length + 1), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal("/bin/true", argv[0]);
            Assert.Equal(new string('x', 1000 + i * 997 % 3100), argv[2]);
        }
        // Every exec of ours was delivered, or the ring counted a drop (possibly another process's).
        Assert.True((ulong)seen.Count + drops >= Batches * PerBatch, $"delivered {seen.Count} + dropped {drops} < {Batches * PerBatch}");
        Assert.True(bytes > ringBytes, $"only {bytes} bytes of argv delivered: the ring did not wrap");
    }
}
