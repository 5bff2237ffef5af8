using ProcWatch.Tests.Helpers;
using System.Collections.Concurrent;
using ProcWatch.Daemon.Configuration;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Events;
using ProcWatch.Tests.Daemon;
using ProcWatch.Tests.Integration;
using Xunit;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary>The heartbeat keys, the migration of a table an earlier schema made, and heartbeats from the real daemon.</summary>
[Collection("clickhouse")]
public sealed class FleetSchemaTests(ClickHouseFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly ClickHouseServer _server = fixture.Server;

    [Fact]
    public void Heartbeat_keys_are_read_and_zero_turns_heartbeats_off()
    {
        ClickHouseSettings s = Assert.Single(ConfigLoader.Parse("outputs:\n  - type: clickhouse\n    url: http://127.0.0.1:8123/\n    heartbeat_interval: 30s\n    heartbeat_table: beats\n", "c.yaml").Outputs).ClickHouse!;
        Assert.Equal((TimeSpan.FromSeconds(30), "beats"), (s.HeartbeatInterval, s.HeartbeatTable));
        ClickHouseSettings off = Assert.Single(ConfigLoader.Parse("outputs:\n  - type: clickhouse\n    url: http://127.0.0.1:8123/\n    heartbeat_interval: 0\n", "c.yaml").Outputs).ClickHouse!;
        Assert.Equal(TimeSpan.Zero, off.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), new ClickHouseSettings { Url = new Uri("http://x/") }.HeartbeatInterval);
    }

    [Fact]
    public void The_migration_adds_the_new_columns_local_tables_first_and_only_current_servers_get_if_not_exists()
    {
        string legacy = ClickHouseSchema.Script(ClickHouseSchema.Migration("pw", "procwatch", "events", ClickHouseDialect.Legacy, replicated: true));
        string current = ClickHouseSchema.Script(ClickHouseSchema.Migration(null, "procwatch", "events", ClickHouseDialect.Current, replicated: true));
        Assert.Contains("ALTER TABLE `procwatch`.`events_local` ON CLUSTER `pw` ADD COLUMN `process.hash.sha256` String;", legacy, StringComparison.Ordinal);
        Assert.True(legacy.IndexOf("`events_local`", StringComparison.Ordinal) < legacy.IndexOf("`events` ON CLUSTER", StringComparison.Ordinal));
        Assert.DoesNotContain("IF NOT EXISTS", legacy, StringComparison.Ordinal);
        Assert.Contains("ALTER TABLE `procwatch`.`events` ADD COLUMN IF NOT EXISTS `procwatch.hash_status` LowCardinality(String);", current, StringComparison.Ordinal);
        Assert.Equal(ClickHouseSchema.Columns.Length - ClickHouseSchema.FirstSchemaColumns, current.Split("ALTER TABLE").Length - 1);
    }

    [Fact]
    public void A_table_of_the_first_schema_migrated_by_fleet_schema_or_by_the_output_takes_hashes_and_ancestors()
    {
        string byCli = ClickHouseTestEvents.UniqueTable(), byOutput = ClickHouseTestEvents.UniqueTable();
        // The database too: this test must not rely on another test of the collection running first.
        _server.Query("CREATE DATABASE IF NOT EXISTS `procwatch`");
        foreach (string table in (string[])[byCli, byOutput])
            _server.Query(FirstSchema(table));
        (int code, string ddl, string stderr) = ProcWatch.Tests.Daemon.Cli.Run("fleet", "schema", "--migration", "--server-version", "18.16", "--table", byCli);
        Assert.True(code == 0, stderr);
        _server.Apply(ddl);
        Assert.Equal(ClickHouseSchema.Columns.Length, _server.Count($"SELECT count() FROM system.columns WHERE database = 'procwatch' AND table = '{byCli}'"));

        var log = new ConcurrentQueue<string>();
        using var dir = new TempDir();
        using (var sink = new ClickHouseSink(ClickHouseTestEvents.Settings(_server.Url, dir, byOutput) with { HeartbeatInterval = TimeSpan.Zero }, log.Enqueue, "host-migrated"))
        {
            ExecEvent e = ClickHouseTestEvents.Exec(1, "mig");
            e = e with { Process = e.Process! with
            {
                Sha256 = new string('a', 64), HashStatus = null,
                Ancestors = [new ParentInfo { Pid = 7, EntityId = "p-7", Executable = "/bin/sh" }, new ParentInfo { Pid = 1, EntityId = "p-1", Executable = "/sbin/init" }],
            } };
            sink.Write(e, null, default);
            Poll.Until(() => sink.Counters.Written == 1, Deadline, () => string.Join(" | ", log));
        }
        Assert.Contains(log, l => l.Contains($"added {ClickHouseSchema.Columns.Length - ClickHouseSchema.FirstSchemaColumns} columns", StringComparison.Ordinal));
        Assert.Equal($"{new string('a', 64)}\t[7,1]\t['p-7','p-1']\t['/bin/sh','/sbin/init']",
            _server.Query($"SELECT `process.hash.sha256`, `procwatch.ancestors.pid`, `procwatch.ancestors.entity_id`, `procwatch.ancestors.executable` FROM procwatch.{byOutput}"));
        Assert.Equal(1, _server.Count("SELECT count() FROM system.tables WHERE database = 'procwatch' AND name = 'heartbeats'"));
    }

    [KernelFact]
    public void The_daemon_writes_heartbeats_with_its_version_backend_and_counters()
    {
        using var dir = new TempDir();
        string table = ClickHouseTestEvents.UniqueTable(), beats = ClickHouseTestEvents.UniqueTable();
        string config = $"""
            events: [exec, exit]
            outputs:
              - type: clickhouse
                url: {_server.Url}
                table: {table}
                heartbeat_interval: 500ms
                heartbeat_table: {beats}
                spool: {dir.File("spool")}
                batch_interval: 100ms
            health:
              socket: {dir.File("status.sock")}
              interval: 0
            """;
        using (var daemon = DaemonUnderTest.Start(dir.Write("config.yaml", config)))
        {
            Spawn.Sh("for i in $(seq 1 50); do /bin/true; done");
            Poll.Until(() => _server.Count($"SELECT count() FROM system.tables WHERE database = 'procwatch' AND name = '{beats}'") == 1
                             && _server.Count($"SELECT count() FROM procwatch.{beats} WHERE `procwatch.events` >= 100") >= 2, Deadline,
                () => "no heartbeats counting the 50 execs: " + daemon.Stderr);
            daemon.Signal(DaemonUnderTest.SIGTERM);
            Assert.Equal(0, daemon.WaitForExit(TimeSpan.FromSeconds(30)));
        }
        string row = _server.Query($"SELECT `host.hostname`, `procwatch.version`, `procwatch.enforcement`, `procwatch.heartbeat_interval_ms`, `procwatch.backend` != '', `procwatch.losses` FROM procwatch.{beats} ORDER BY `procwatch.events` DESC LIMIT 1");
        Assert.Equal($"{Environment.MachineName}\t{HeartbeatWriter.Version}\tnone\t500\t1\t0", row);
    }

    /// <summary>The events table as issue 14's schema made it (its 35 columns).</summary>
    private static string FirstSchema(string table)
    {
        string full = ClickHouseSchema.SingleNode("procwatch", table, ClickHouseDialect.Legacy, 0)[1];
        foreach (var column in ClickHouseSchema.Columns.AsSpan(ClickHouseSchema.FirstSchemaColumns))
            full = full.Replace($",\n    `{column.Name}` {column.Type}", "", StringComparison.Ordinal);
        return full;
    }
}
