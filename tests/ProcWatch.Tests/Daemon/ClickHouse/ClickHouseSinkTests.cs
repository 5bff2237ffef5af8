using System.Collections.Concurrent;
using System.Diagnostics;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Tests.Daemon;
using Xunit;
using static ProcWatch.Tests.Daemon.ClickHouse.ClickHouseTestEvents;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary>The ClickHouse output in this process against a real clickhouse-server: delivery, outages, losses.</summary>
[Collection("clickhouse")]
public sealed class ClickHouseSinkTests(ClickHouseFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly ClickHouseServer _server = fixture.Server;

    [Fact]
    public void Every_event_arrives_once_with_its_fields_and_hostile_args_intact()
    {
        using var dir = new TempDir();
        string table = UniqueTable();
        var log = new ConcurrentQueue<string>();
        const int N = 5000;
        using (var sink = new ClickHouseSink(Settings(_server.Url, dir, table), log.Enqueue, hostname: "host-one"))
        {
            for (int i = 0; i < N; i++)
                sink.Write(Exec(i, "m1"), null, default);
            sink.Write(Exec(N, "m1"), new ProcWatch.Events.AlertInfo("curl-pipe-sh", "high", 73), default);
            // A Sigma alert: rule.id is the rule's UUID, rule.name its title.
            sink.Write(Exec(N + 1, "m1"), new ProcWatch.Events.AlertInfo("Curl Piped To Shell", "medium", 47) { RuleId = "8e2a9c11-5f0e-4c1b-9a3d-2b7c6d5e4f10" }, default);
            Poll.Until(() => sink.Counters.Written == N + 2, Deadline, () => $"written {sink.Counters.Written}; log: {string.Join(" | ", log)}");
            Assert.Equal(0, sink.PendingRows);
            Assert.Equal(0, sink.Counters.Dropped);
        }
        Assert.Equal(N + 2, _server.Count($"SELECT count() FROM {Where(table)}"));
        Assert.Equal(N + 2, _server.Count($"SELECT uniqExact(`event.id`) FROM {Where(table)}"));
        Assert.Equal("exec\thost-one\t['worker','m1','n=42','quote\"tab\\tnewline\\n']\t1\talice\t1042\tm1-42\t/usr/bin/worker",
            _server.Query($"SELECT `event.action`, `host.hostname`, `process.args`, `process.parent.pid`, `user.name`, `process.pid`, `process.entity_id`, `process.executable` FROM {Where(table)} WHERE `process.entity_id` = 'm1-42'"));
        Assert.Equal("alert\tcurl-pipe-sh\tcurl-pipe-sh\thigh\t73\nalert\t8e2a9c11-5f0e-4c1b-9a3d-2b7c6d5e4f10\tCurl Piped To Shell\tmedium\t47",
            _server.Query($"SELECT `event.kind`, `rule.id`, `rule.name`, `rule.severity`, `event.severity` FROM {Where(table)} WHERE `event.kind` = 'alert' ORDER BY `event.severity` DESC"));
        Assert.Contains(log, l => l.Contains("created table procwatch." + table, StringComparison.Ordinal));
    }

    [Fact]
    public void A_sigma_alert_stores_the_sigma_rules_id_as_rule_id_and_its_title_as_rule_name()
    {
        using var dir = new TempDir();
        string table = UniqueTable();
        var log = new ConcurrentQueue<string>();
        using (var sink = new ClickHouseSink(Settings(_server.Url, dir, table), log.Enqueue, hostname: "host-one"))
        {
            var sigma = new ProcWatch.Events.AlertInfo("Suspicious Curl Pipe", "high", 73) { RuleId = "5f3e0ab1-7c2d-4e1f-9a8b-0c1d2e3f4a5b", Ruleset = "sigma" };
            sink.Write(Exec(1, "s1"), sigma, default);
            Poll.Until(() => sink.Counters.Written == 1, Deadline, () => $"written {sink.Counters.Written}; log: {string.Join(" | ", log)}");
        }
        Assert.Equal("5f3e0ab1-7c2d-4e1f-9a8b-0c1d2e3f4a5b\tSuspicious Curl Pipe",
            _server.Query($"SELECT `rule.id`, `rule.name` FROM {Where(table)} WHERE `event.kind` = 'alert'"));
    }

    [Fact]
    public void Server_stopped_mid_burst_and_started_again_gives_every_event_exactly_once()
    {
        using var dir = new TempDir();
        string table = UniqueTable();
        var log = new ConcurrentQueue<string>();
        const int N = 40_000;
        using (var sink = new ClickHouseSink(Settings(_server.Url, dir, table), log.Enqueue, hostname: "host-burst"))
        {
            for (int i = 0; i < N; i++)
            {
                sink.Write(Exec(i, "burst"), null, default);
                sink.Flush();
                if (i == N / 4)
                    Poll.Until(() => sink.Counters.Written > 0, Deadline, () => "nothing delivered before the outage: " + string.Join(" | ", log));
                if (i == N / 3)
                    _server.Stop(); // mid-burst: inserts in flight fail or are cut
                if (i % 100 == 0)
                    Thread.Sleep(1); // a burst over ~1 s, not one tight loop
            }
            Poll.Until(() => sink.SpoolBytes > 0, Deadline, () => "nothing spooled while the server was away");
            _server.Start();
            Poll.Until(() => sink.PendingRows == 0, Deadline, () => $"pending {sink.PendingRows}; log: {string.Join(" | ", log)}");
            Assert.Equal(0, sink.Counters.Dropped);
        }
        Assert.Contains(log, l => l.Contains("cannot reach the server", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("delivering again", StringComparison.Ordinal));
        Assert.Equal(N, _server.Count($"SELECT count() FROM {Where(table)} FINAL"));
        Assert.Equal(N, _server.Count($"SELECT uniqExact(`event.id`) FROM {Where(table)}"));
        Assert.Equal(N, _server.Count($"SELECT uniqExact(`process.entity_id`) FROM {Where(table)}"));
    }

    [Fact]
    public void A_full_spool_disk_counts_every_lost_event_and_says_so()
    {
        using var dir = new TempDir();
        string spool = Directory.CreateDirectory(dir.File("spool")).FullName;
        var mount = Process.Start("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", spool])!;
        mount.WaitForExit();
        Assert.Equal(0, mount.ExitCode);
        try
        {
            var log = new ConcurrentQueue<string>();
            const int N = 20_000;
            // No server: nothing leaves the spool, so the 64 KiB disk fills.
            var settings = Settings(new Uri($"http://127.0.0.1:{ClickHouseServer.FreePort()}/"), dir, UniqueTable()) with { BatchRows = 500 };
            using var sink = new ClickHouseSink(settings, log.Enqueue, hostname: "host-full");
            for (int i = 0; i < N; i++)
            {
                sink.Write(Exec(i, "full"), null, default);
                if (i % 500 == 0) Thread.Sleep(2);
            }
            sink.Flush();
            Poll.Until(() => sink.Counters.Dropped + sink.PendingRows == N && sink.PendingRows == SpooledRows(spool), Deadline,
                () => $"dropped {sink.Counters.Dropped} + pending {sink.PendingRows} != {N}");
            Assert.True(sink.Counters.Dropped > 0, "nothing was lost: the disk did not fill");
            Assert.True(sink.PendingRows > 0, "nothing was spooled");
            Assert.Equal(0, sink.Counters.Written);
            // Said once per spell of failures, not once per batch: a batch sealed small by the clock
            // (a slow machine) can still fit after a refused one and end the spell, so a few spells
            // may be reported; thousands of lost rows never make thousands of lines.
            string[] lines = [.. log.Where(l => l.Contains("lost", StringComparison.Ordinal) && l.Contains("cannot write the spool", StringComparison.Ordinal))];
            Assert.InRange(lines.Length, 1, 5);
            Assert.All(lines, l => Assert.Contains("No space left on device", l, StringComparison.Ordinal));
        }
        finally
        {
            Process.Start("umount", ["-l", spool])!.WaitForExit();
        }
    }

    [Fact]
    public void The_spool_byte_bound_drops_and_counts_beyond_it()
    {
        using var dir = new TempDir();
        var log = new ConcurrentQueue<string>();
        const int N = 10_000;
        var settings = Settings(new Uri($"http://127.0.0.1:{ClickHouseServer.FreePort()}/"), dir, UniqueTable()) with { BatchRows = 500, SpoolMaxBytes = 32 * 1024 };
        using var sink = new ClickHouseSink(settings, log.Enqueue, hostname: "host-bound");
        for (int i = 0; i < N; i++)
            sink.Write(Exec(i, "bound"), null, default);
        Poll.Until(() => sink.Counters.Dropped + sink.PendingRows == N && sink.PendingRows == SpooledRows(settings.SpoolDirectory), Deadline,
            () => $"dropped {sink.Counters.Dropped} + pending {sink.PendingRows} != {N}");
        Assert.True(sink.SpoolBytes <= 32 * 1024);
        Assert.True(sink.Counters.Dropped > 0);
        Assert.Single(log, l => l.Contains("the spool is full", StringComparison.Ordinal));
    }

    /// <summary>Rows in the spool directory, from the batch file names (sequence.rows.sealed.batch).</summary>
    internal static long SpooledRows(string spool) =>
        Directory.GetFiles(spool, "*.batch").Sum(f => long.Parse(Path.GetFileName(f).Split('.')[1], System.Globalization.CultureInfo.InvariantCulture));
}
