using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Events;
using ProcWatch.Output.Sinks;
using ProcWatch.Tests.Daemon;
using Xunit;
using static ProcWatch.Tests.Daemon.ClickHouse.ClickHouseTestEvents;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary>The ClickHouse output's bounds: batch bytes, alerts under a storm, poison batches, a server that never answers.</summary>
[Collection("clickhouse")]
public sealed class ClickHouseBoundsTests(ClickHouseFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly ClickHouseServer _server = fixture.Server;

    private static ExecEvent HugeExec(int i, string marker, int argBytes)
    {
        ExecEvent e = Exec(i, marker);
        return e with { Process = e.Process! with { Args = ["worker", marker, "n=" + i, new string('A', argBytes)] } };
    }

    private static ClickHouseSettings Unreachable(TempDir dir) =>
        Settings(new Uri($"http://127.0.0.1:{ClickHouseServer.FreePort()}/"), dir, UniqueTable()) with
        {
            BatchRows = 1_000_000,
            BatchInterval = TimeSpan.FromMinutes(10), // only the byte bound (or stop) seals here
        };

    [Fact]
    public void Huge_argv_batches_are_sealed_at_a_byte_bound_not_held_in_memory()
    {
        using var dir = new TempDir();
        var log = new ConcurrentQueue<string>();
        var settings = Unreachable(dir) with { QueueMaxBytes = 4 << 20 }; // seals at 1 MiB
        const int N = 40;
        using var sink = new ClickHouseSink(settings, log.Enqueue, hostname: "host-huge");
        for (int i = 0; i < N; i++)
        {
            // Rows held in memory (open batch + queue) stay within 2 MiB: a row is ~512 KiB (args and command_line), a batch 2 rows.
            Poll.Until(() => sink.PendingRows - ClickHouseSinkTests.SpooledRows(settings.SpoolDirectory) <= 4, Deadline,
                () => $"{sink.PendingRows - ClickHouseSinkTests.SpooledRows(settings.SpoolDirectory)} rows of 256 KiB held in memory; log: {string.Join(" | ", log)}");
            sink.Write(HugeExec(i, "huge", 256 * 1024), null, default);
        }
        // Only the open batch stays in memory: under 1 MiB, i.e. at most one such row.
        Poll.Until(() => ClickHouseSinkTests.SpooledRows(settings.SpoolDirectory) >= N - 1, Deadline,
            () => $"spooled {ClickHouseSinkTests.SpooledRows(settings.SpoolDirectory)} of {N}, pending {sink.PendingRows}, dropped {sink.Counters.Dropped}; log: {string.Join(" | ", log)}");
        Assert.Equal(0, sink.Counters.Dropped);
    }

    [Fact]
    public void Alerts_are_never_the_rows_lost_when_a_storm_overflows_the_memory_queue()
    {
        using var dir = new TempDir();
        var log = new ConcurrentQueue<string>();
        var settings = Unreachable(dir) with { QueueMaxBytes = 256 * 1024 };
        const int N = 2000, Alerts = 10;
        using (var sink = new ClickHouseSink(settings, log.Enqueue, hostname: "host-storm"))
        {
            for (int i = 0; i < N; i++)
            {
                sink.Write(HugeExec(i, "storm", 16 * 1024), null, default);
                if (i % (N / Alerts) == 0)
                    sink.Write(HugeExec(N + i, "alert", 16 * 1024), new AlertInfo("padded-exec", "high", 73), default);
            }
            sink.Dispose(); // seals and spools what is in memory
            Assert.Equal(N + Alerts, sink.Counters.Dropped + ClickHouseSinkTests.SpooledRows(settings.SpoolDirectory));
        }
        var spooled = ClickHouseDaemonTests.SpooledRows(settings.SpoolDirectory);
        Assert.Equal(Alerts, spooled.Count(r => r.GetProperty("event.kind").GetString() == "alert"));
    }

    [Fact]
    public void A_batch_the_server_refuses_for_its_data_is_moved_aside_and_the_next_ones_go_on()
    {
        using var dir = new TempDir();
        string table = UniqueTable();
        var log = new ConcurrentQueue<string>();
        var settings = Settings(_server.Url, dir, table);
        // A poison batch spooled (and sealed) by an earlier run: rows ClickHouse cannot parse.
        var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes("{\"event.id\":\"a\",\"process.pid\":\"not a number\"}\nthis is not json\n{]\n"));
        long sealedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using (var earlier = new ClickHouseSpool(settings.SpoolDirectory, settings.SpoolMaxBytes, settings.SpoolMaxAge))
            Assert.Equal(SpoolAppend.Stored, earlier.Append(gzipped.ToArray(), 3, sealedAt, out _));
        string poison = Path.Combine(settings.SpoolDirectory, $"{1:D16}.3.{sealedAt}.batch");
        Assert.True(File.Exists(poison));
        const int N = 500;
        using (var sink = new ClickHouseSink(settings, log.Enqueue, hostname: "host-poison"))
        {
            for (int i = 0; i < N; i++)
                sink.Write(Exec(i, "after"), null, default);
            Poll.Until(() => sink.Counters.Written == N, Deadline, () => $"written {sink.Counters.Written}; log: {string.Join(" | ", log)}");
            Assert.Equal(3, sink.Counters.Dropped);
            Assert.Equal(0, sink.PendingRows);
        }
        Assert.Equal(N, _server.Count($"SELECT count() FROM {Where(table)}"));
        Assert.False(File.Exists(poison));
        Assert.Single(Directory.GetFiles(Path.Combine(settings.SpoolDirectory, "rejected")));
        Assert.Single(log, l => l.Contains("refused", StringComparison.Ordinal) && l.Contains("rejected", StringComparison.Ordinal));
    }

    [Fact]
    public void A_server_that_accepts_and_never_answers_blocks_neither_writes_nor_the_other_outputs()
    {
        using var dir = new TempDir();
        using var blackHole = new TcpListener(IPAddress.Loopback, 0);
        blackHole.Start();
        var accepted = new ConcurrentQueue<Socket>();
        _ = Task.Run(async () =>
        {
            while (true) accepted.Enqueue(await blackHole.AcceptSocketAsync()); // never reads, never answers
        });
        var log = new ConcurrentQueue<string>();
        var settings = Settings(new Uri($"http://127.0.0.1:{((IPEndPoint)blackHole.LocalEndpoint).Port}/"), dir, UniqueTable()) with
        {
            Timeout = TimeSpan.FromMinutes(10),
        };
        const int N = 20_000;
        using var file = new RotatingFileSink(dir.File("events.json"), 0, 1, log.Enqueue);
        var clickhouse = new ClickHouseSink(settings, log.Enqueue, hostname: "host-hole");
        try
        {
            byte[] line = "{\"event\":1}\n"u8.ToArray();
            file.Write(Exec(0, "hole"), null, line);
            clickhouse.Write(Exec(0, "hole"), null, default); // spooled after the batch interval, then sent: the request hangs
            Poll.Until(() => !accepted.IsEmpty, Deadline, () => "the output never connected");
            var loop = new Thread(() =>
            {
                // The daemon's event loop: every event to every output, a flush per pass.
                for (int i = 1; i < N; i++)
                {
                    ExecEvent e = Exec(i, "hole");
                    file.Write(e, null, line);
                    clickhouse.Write(e, null, default);
                    if (i % 100 == 0) { file.Flush(); clickhouse.Flush(); Thread.Sleep(1); }
                }
                file.Flush();
                clickhouse.Flush();
            });
            loop.Start();
            Assert.True(loop.Join(Deadline), "the event loop waited for the silent server");
            Assert.Equal(N, File.ReadLines(dir.File("events.json")).Count());
            Assert.Equal(0, clickhouse.Counters.Written);
            Assert.Equal(0, clickhouse.Counters.Dropped);
            Poll.Until(() => clickhouse.PendingRows == N && ClickHouseSinkTests.SpooledRows(settings.SpoolDirectory) == N, Deadline,
                () => $"pending {clickhouse.PendingRows}, spooled {ClickHouseSinkTests.SpooledRows(settings.SpoolDirectory)}");
        }
        finally
        {
            clickhouse.Dispose();
            blackHole.Stop();
            foreach (Socket s in accepted) s.Dispose();
        }
    }

    [Fact]
    public void A_password_file_others_can_read_is_warned_about_once()
    {
        using var dir = new TempDir();
        var settings = Unreachable(dir);
        File.SetUnixFileMode(settings.PasswordFile!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var log = new ConcurrentQueue<string>();
        using (new ClickHouseSink(settings, log.Enqueue, hostname: "host-pw")) { }
        string warning = Assert.Single(log, l => l.Contains(settings.PasswordFile!, StringComparison.Ordinal));
        Assert.Contains("readable by group or others (mode 644)", warning, StringComparison.Ordinal);

        File.SetUnixFileMode(settings.PasswordFile!, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        log.Clear();
        using (new ClickHouseSink(settings with { SpoolDirectory = dir.File("spool2") }, log.Enqueue, hostname: "host-pw")) { }
        Assert.DoesNotContain(log, l => l.Contains(settings.PasswordFile!, StringComparison.Ordinal));
    }
}
