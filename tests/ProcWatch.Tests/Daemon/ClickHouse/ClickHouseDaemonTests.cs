using ProcWatch.Tests.Helpers;
using System.IO.Compression;
using System.Text.Json;
using ProcWatch.Tests.Daemon;
using ProcWatch.Tests.Integration;
using Xunit;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary>The real daemon (the built CLI) with a clickhouse output next to a file output, against a real server.</summary>
[Collection("clickhouse")]
public sealed class ClickHouseDaemonTests(ClickHouseFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly ClickHouseServer _server = fixture.Server;

    private static string Config(TempDir dir, Uri url, string table, string password = ClickHouseServer.Password) => $"""
        events: [exec, exit]
        outputs:
          - type: file
            path: {dir.File("events.json")}
          - type: clickhouse
            url: {url}
            table: {table}
            user: {ClickHouseServer.User}
            password_file: {dir.Write("password", password + "\n")}
            spool: {dir.File("spool")}
            batch_interval: 100ms
        health:
          socket: {dir.File("status.sock")}
          interval: 0
        """;

    [KernelFact]
    public void Every_event_the_daemon_records_arrives_exactly_once()
    {
        using var dir = new TempDir();
        string table = ClickHouseTestEvents.UniqueTable();
        using (var daemon = DaemonUnderTest.Start(dir.Write("config.yaml", Config(dir, _server.Url, table))))
        {
            Spawn.Sh("for i in $(seq 1 200); do /bin/true; done");
            Thread.Sleep(500);
            daemon.Signal(DaemonUnderTest.SIGTERM);
            Assert.Equal(0, daemon.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.DoesNotContain("   at ", daemon.Stderr, StringComparison.Ordinal);
        }
        // The file output is the reference: the same events, each once, in ClickHouse.
        var expected = EventFiles.Lines(dir.Path).Select(EventFiles.Parse)
            .Select(e => $"{e.Str("procwatch.kernel_time_ns")}\t{e.Str("process.pid")}\t{e.Str("event.action")}").Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.Count >= 400, $"only {expected.Count} events recorded");
        var stored = _server.Query($"SELECT `procwatch.kernel_time_ns`, `process.pid`, `event.action` FROM procwatch.{table} FINAL")
            .Split('\n').ToList();
        // A loaded machine may not empty the spool in SIGTERM's 2 s of grace: what is left is
        // kept for the next start (it may also be in the table already: the answer was cut).
        var inTable = new HashSet<string>(stored, StringComparer.Ordinal);
        stored.AddRange(SpooledRows(dir.File("spool")).Select(r => $"{r.GetProperty("procwatch.kernel_time_ns").GetInt64()}\t{r.GetProperty("process.pid").GetInt64()}\t{r.GetProperty("event.action").GetString()}")
            .Where(key => !inTable.Contains(key)));
        Assert.Equal(expected, stored.Order(StringComparer.Ordinal).ToList());
    }

    [KernelFact]
    public void A_daemon_killed_with_a_full_spool_sends_it_after_restart_nothing_lost_nothing_doubled()
    {
        using var dir = new TempDir();
        string table = ClickHouseTestEvents.UniqueTable();
        var nowhere = new Uri($"http://127.0.0.1:{ClickHouseServer.FreePort()}/");
        string spool = dir.File("spool");
        HashSet<string> spooledIds;
        using (var first = DaemonUnderTest.Start(dir.Write("config.yaml", Config(dir, nowhere, table))))
        {
            Spawn.Sh("for i in $(seq 1 100); do /bin/true; done");
            Poll.Until(() => Directory.Exists(spool) && ClickHouseSinkTests.SpooledRows(spool) >= 200, Deadline, () => "spool stays empty:\n" + first.Stderr);
            first.WaitForStderr("cannot reach the server", Deadline);
            first.Signal(9);
            first.WaitForExit(TimeSpan.FromSeconds(10));
        }
        spooledIds = SpooledEventIds(spool);
        Assert.Equal(ClickHouseSinkTests.SpooledRows(spool), spooledIds.Count);

        using (var second = DaemonUnderTest.Start(dir.Write("config.yaml", Config(dir, _server.Url, table))))
        {
            second.WaitForStderr("spooled by an earlier run", Deadline);
            string list = string.Join(",", spooledIds.Select(id => $"'{id}'"));
            Poll.Until(() => _server.Count($"SELECT count() FROM system.tables WHERE database = 'procwatch' AND name = '{table}'") == 1
                && _server.Count($"SELECT count() FROM procwatch.{table} WHERE `event.id` IN ({list})") >= spooledIds.Count, Deadline,
                () => "spooled events not delivered:\n" + second.Stderr);
            second.Signal(DaemonUnderTest.SIGTERM);
            Assert.Equal(0, second.WaitForExit(TimeSpan.FromSeconds(30)));
            // Raw count, no FINAL: each spooled event was inserted exactly once.
            Assert.Equal(spooledIds.Count, _server.Count($"SELECT count() FROM procwatch.{table} WHERE `event.id` IN ({list})"));
        }
    }

    [KernelFact]
    public void Wrong_credentials_are_one_clear_line_and_the_other_outputs_keep_working()
    {
        using var dir = new TempDir();
        string table = ClickHouseTestEvents.UniqueTable();
        using var daemon = DaemonUnderTest.Start(dir.Write("config.yaml", Config(dir, _server.Url, table, password: "wrong")));
        int pid = Spawn.Sh("exit 3");
        Poll.Until(() => EventFiles.ForPids(EventFiles.Lines(dir.Path), new HashSet<int> { pid }).Any(e => e.Str("event.action") == "exit"),
            Deadline, () => "the file output stopped while ClickHouse refused us:\n" + daemon.Stderr);
        // The first refusal is said (whenever a loaded host gets to it), then several retries
        // (250 ms, 500 ms, 1 s, 2 s) must not say it again.
        daemon.WaitForStderr("authentication failed", Deadline);
        Thread.Sleep(4000);
        string[] lines = daemon.Stderr.Split('\n');
        string line = Assert.Single(lines, l => l.Contains("clickhouse", StringComparison.Ordinal) && l.Contains("authentication failed", StringComparison.Ordinal));
        Assert.Contains($"authentication failed for user '{ClickHouseServer.User}': Wrong password for user {ClickHouseServer.User}", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", daemon.Stderr, StringComparison.Ordinal);
        Assert.True(ClickHouseSinkTests.SpooledRows(dir.File("spool")) > 0, "events were not kept for a later retry");
    }

    [KernelFact]
    public async Task The_spool_backlog_is_in_the_prometheus_metrics_while_the_server_is_away()
    {
        using var dir = new TempDir();
        var nowhere = new Uri($"http://127.0.0.1:{ClickHouseServer.FreePort()}/");
        int port = ClickHouseServer.FreePort();
        string config = Config(dir, nowhere, ClickHouseTestEvents.UniqueTable()).Replace("  interval: 0", $"  interval: 0\n  listen: 127.0.0.1:{port}");
        using var daemon = DaemonUnderTest.Start(dir.Write("config.yaml", config));
        Spawn.Sh("for i in $(seq 1 100); do /bin/true; done");
        using var http = new HttpClient();
        string output = $"clickhouse:{nowhere.GetLeftPart(UriPartial.Path).TrimEnd('/')}/procwatch.";
        string body = "";
        long batches = 0, pending = 0;
        // Until the backlog holds the whole burst: the first batch may be spooled before the last exits arrive.
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < Deadline && (batches == 0 || pending < 200); await Task.Delay(200))
        {
            body = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
            batches = Gauge(body, "procwatch_output_spool_batches", output);
            pending = Gauge(body, "procwatch_output_pending_rows", output);
        }
        Assert.True(batches > 0, "no spooled batch in the metrics:\n" + body);
        Assert.Contains("# TYPE procwatch_output_spool_bytes gauge", body);
        Assert.True(Gauge(body, "procwatch_output_spool_bytes", output) > 0, body);
        Assert.True(Gauge(body, "procwatch_output_pending_rows", output) >= 200, body); // 100 execs and their exits, at least
        // An output without a spool has no such line.
        Assert.DoesNotContain("procwatch_output_spool_bytes{output=\"file:", body);
    }

    /// <summary>The value of the one <paramref name="metric"/> line whose output label starts with <paramref name="outputPrefix"/>; 0 if none.</summary>
    private static long Gauge(string body, string metric, string outputPrefix)
    {
        foreach (string line in body.Split('\n'))
        {
            if (line.StartsWith($"{metric}{{output=\"{outputPrefix}", StringComparison.Ordinal))
                return long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }

    private static HashSet<string> SpooledEventIds(string spool)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonElement row in SpooledRows(spool))
            Assert.True(ids.Add(row.GetProperty("event.id").GetString()!), "an event id twice in the spool");
        return ids;
    }

    /// <summary>The rows of every spooled batch (gzip'd JSONEachRow).</summary>
    internal static List<JsonElement> SpooledRows(string spool)
    {
        var rows = new List<JsonElement>();
        foreach (string file in Directory.GetFiles(spool, "*.batch"))
        {
            byte[] sealedBatch = File.ReadAllBytes(file); // the gzip'd body, then its 32-byte seal (SpoolSeal)
            using var gzip = new GZipStream(new MemoryStream(sealedBatch, 0, sealedBatch.Length - 32), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip);
            while (reader.ReadLine() is { } line)
                rows.Add(JsonDocument.Parse(line).RootElement.Clone());
        }
        return rows;
    }
}
