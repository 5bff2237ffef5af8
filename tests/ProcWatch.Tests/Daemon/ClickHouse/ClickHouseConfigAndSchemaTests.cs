using ProcWatch.Daemon.Configuration;
using ProcWatch.Daemon.Outputs.ClickHouse;
using Xunit;

namespace ProcWatch.Tests.Daemon.ClickHouse;

public sealed class ClickHouseConfigAndSchemaTests
{
    [Fact]
    public void A_clickhouse_output_reads_every_key()
    {
        DaemonConfig config = ConfigLoader.Parse("""
            outputs:
              - type: clickhouse
                url: https://ch.example:8443/?insert_distributed_sync=1
                database: sec
                table: proc
                user: writer
                batch_rows: 5000
                batch_interval: 500ms
                timeout: 10s
                spool: /var/spool/pw
                spool_max_size: 2GB
                spool_max_age: 3d
                queue_max_size: 16MB
                create_table: false
                retention_days: 30
            """, "c.yaml");
        ClickHouseSettings s = Assert.Single(config.Outputs).ClickHouse!;
        Assert.Equal("https://ch.example:8443/?insert_distributed_sync=1", s.Url.ToString());
        Assert.Equal(("sec", "proc", "writer"), (s.Database, s.Table, s.User));
        Assert.Equal((5000, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10)), (s.BatchRows, s.BatchInterval, s.Timeout));
        Assert.Equal(("/var/spool/pw", 2L << 30, TimeSpan.FromDays(3), 16L << 20), (s.SpoolDirectory, s.SpoolMaxBytes, s.SpoolMaxAge, s.QueueMaxBytes));
        Assert.Equal((false, 30), (s.CreateTable, s.RetentionDays));
    }

    [Theory]
    [InlineData("    url: http://127.0.0.1:8123/\n    password: hunter2\n", 4, "the password does not belong in the configuration")]
    [InlineData("    url: http://u:p@127.0.0.1:8123/\n", 2, "the url must not carry credentials")]
    [InlineData("    url: http://127.0.0.1:8123/?password=hunter2\n", 2, "the url must not carry credentials")]
    [InlineData("    url: http://127.0.0.1:8123/?max_threads=2&USER=admin\n", 2, "the url must not carry credentials")]
    [InlineData("    url: ftp://127.0.0.1/\n", 3, "is not an http:// or https:// address")]
    [InlineData("    database: x\n", 2, "a clickhouse output needs a url")]
    [InlineData("    url: http://127.0.0.1:8123/\n    password_file: /nonexistent/pw\n", 4, "password_file: no such file /nonexistent/pw")]
    [InlineData("    url: http://127.0.0.1:8123/\n    batch_rows: 0\n", 4, "batch_rows must be a whole number from 1 to 1000000")]
    [InlineData("    url: http://127.0.0.1:8123/\n    tabel: x\n", 4, "unknown key 'tabel' in a clickhouse output")]
    public void Clickhouse_mistakes_name_the_line(string keys, int line, string problem)
    {
        ConfigException ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("outputs:\n  - type: clickhouse\n" + keys, "c.yaml"));
        Assert.StartsWith($"c.yaml: line {line}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("18.16.1", true)]
    [InlineData("19.5.3.8", true)]
    [InlineData("19.6.1", false)]
    [InlineData("24.8.4.13", false)]
    public void The_dialect_follows_the_server_version(string version, bool legacy) =>
        Assert.Equal(legacy ? ClickHouseDialect.Legacy : ClickHouseDialect.Current, ClickHouseSchema.DialectOf(version));

    [Fact]
    public void Current_servers_get_ttl_and_low_cardinality_legacy_ones_neither()
    {
        string current = ClickHouseSchema.Script(ClickHouseSchema.SingleNode("procwatch", "events", ClickHouseDialect.Current, 30));
        string legacy = ClickHouseSchema.Script(ClickHouseSchema.SingleNode("procwatch", "events", ClickHouseDialect.Legacy, 30));
        Assert.Contains("TTL `@timestamp` + INTERVAL 30 DAY", current, StringComparison.Ordinal);
        Assert.Contains("`host.hostname` LowCardinality(String)", current, StringComparison.Ordinal);
        Assert.DoesNotContain("TTL", legacy, StringComparison.Ordinal);
        Assert.DoesNotContain("LowCardinality", legacy, StringComparison.Ordinal);
        Assert.Contains("ORDER BY (`host.hostname`, `event.action`, `@timestamp`, `event.id`)", legacy, StringComparison.Ordinal);
        Assert.Contains("`process.args` Array(String)", legacy, StringComparison.Ordinal);
    }

    [Fact]
    public void Replies_are_classified_from_the_servers_error_text()
    {
        ClickHouseReply old = ClickHouseClient.Classify(401, "Code: 193, e.displayText() = DB::Exception: Wrong password for user procwatch, e.what() = DB::Exception\n");
        Assert.Equal((ClickHouseOutcome.AuthenticationFailed, 193, "Wrong password for user procwatch"), (old.Outcome, old.Code, old.Message));
        ClickHouseReply current = ClickHouseClient.Classify(404, "Code: 60. DB::Exception: Table procwatch.x does not exist. (UNKNOWN_TABLE) (version 24.3.1)\n");
        Assert.Equal((ClickHouseOutcome.MissingTable, 60), (current.Outcome, current.Code));
        Assert.Equal(ClickHouseOutcome.Refused, ClickHouseClient.Classify(500, "Code: 16, e.displayText() = DB::Exception: No such column x").Outcome);
        // Rows the server cannot parse: never retried (the batch would block every later one); schema codes are.
        Assert.Equal(ClickHouseOutcome.RefusedData, ClickHouseClient.Classify(500, "Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected { before: x").Outcome);
        Assert.Equal(ClickHouseOutcome.RefusedData, ClickHouseClient.Classify(400, "Bad Request").Outcome);
        Assert.Equal(ClickHouseOutcome.Refused, ClickHouseClient.Classify(400, "Code: 62. DB::Exception: Syntax error (SYNTAX_ERROR)").Outcome);
        Assert.Equal(ClickHouseOutcome.ServerError, ClickHouseClient.Classify(500, "Code: 252, e.displayText() = DB::Exception: Too many parts").Outcome);
    }
}
