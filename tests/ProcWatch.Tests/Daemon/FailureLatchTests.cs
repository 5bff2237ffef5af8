using System.Text;
using Xunit;
using ProcWatch.Events;
using ProcWatch.Output.Sinks;
using ProcWatch.Tests.Integration;

namespace ProcWatch.Tests.Daemon;

/// <summary>B4: an output that drops says so for as long as it drops, and "writing again" only when it does.</summary>
[Collection("daemon")]
public sealed class FailureLatchTests
{
    [Fact]
    public void Dropping_is_repeated_while_it_lasts_and_recovery_needs_a_clean_second()
    {
        long now = 1;
        var lines = new List<string>();
        var latch = new FailureLatch("file:x", lines.Add, () => now, ticksPerSecond: 1000);

        latch.Failed("cannot write: No space left on device", 5);
        Assert.Equal(["file:x: cannot write: No space left on device; dropping events (counted) until it works again"], lines);
        for (int ms = 10; ms <= 25_000; ms += 10)
        {
            now = 1 + ms;
            if (ms % 30 == 0)
                latch.Succeeded(); // a small batch fits into what a cut-back write freed: not a recovery
            else
                latch.Failed("cannot write: No space left on device", 1);
        }
        Assert.True(latch.IsFailing);
        Assert.DoesNotContain(lines, l => l.Contains("writing again", StringComparison.Ordinal));
        Assert.Equal(2, lines.Count(l => l.StartsWith("file:x: still dropping events: ", StringComparison.Ordinal)));
        Assert.Contains("still dropping events: 672 dropped so far (cannot write: No space left on device)", lines[1], StringComparison.Ordinal);

        now += 500;
        latch.Succeeded();
        Assert.True(latch.IsFailing); // half a second without failure is not enough
        now += 600;
        latch.Succeeded();
        Assert.False(latch.IsFailing);
        Assert.StartsWith("file:x: writing again after dropping ", lines[^1], StringComparison.Ordinal);
        int count = lines.Count;
        latch.Succeeded();
        Assert.Equal(count, lines.Count);
    }

    [Fact]
    public void A_file_on_a_full_tmpfs_never_claims_to_write_again_while_full()
    {
        string mount = Directory.CreateTempSubdirectory("procwatch-full-").FullName;
        Assert.Equal(0, Spawn.Run("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mount]).ExitCode);
        try
        {
            var reports = new List<string>();
            using var sink = new RotatingFileSink(Path.Combine(mount, "events.json"), 0, 0, r => { lock (reports) reports.Add(r); });
            var random = new Random(7);
            var e = new ExecEvent { KernelTimeNs = 1, Timestamp = DateTimeOffset.UnixEpoch, Pid = 1, Tid = 1 };
            DateTime until = DateTime.UtcNow.AddSeconds(3);
            int written = 0;
            while (DateTime.UtcNow < until)
            {
                int batch = random.Next(1, 6);
                for (int i = 0; i < batch; i++, written++)
                    sink.Write(e, null, Encoding.UTF8.GetBytes($"{{\"n\":{written},\"pad\":\"{new string('x', random.Next(100, 600))}\"}}\n"));
                sink.Flush();
                Thread.Sleep(5);
            }
            Assert.True(sink.Counters.Dropped > 0, "the disk never filled");
            lock (reports)
            {
                Assert.Single(reports, r => r.Contains("dropping events (counted)", StringComparison.Ordinal));
                Assert.DoesNotContain(reports, r => r.Contains("writing again", StringComparison.Ordinal));
            }
            foreach (string line in File.ReadAllLines(Path.Combine(mount, "events.json")))
                Assert.True(line.StartsWith('{') && line.EndsWith('}'), "partial line: " + line);

            File.Delete(Path.Combine(mount, "events.json"));
            sink.Reopen();
            Thread.Sleep(1100);
            sink.Write(e, null, "{\"n\":-1}\n"u8);
            sink.Flush();
            lock (reports)
                Assert.StartsWith($"file:{mount}/events.json: writing again after dropping ", reports[^1], StringComparison.Ordinal);
        }
        finally
        {
            Spawn.Run("/bin/umount", ["-l", mount]);
        }
    }
}
