using System.CommandLine;
using ProcWatch.Daemon.Outputs.ClickHouse;

namespace ProcWatch.Cli.Daemon;

/// <summary>
/// <c>procwatch fleet schema [--cluster NAME] [--no-replication] [--server-version V]
/// [--database DB] [--table T] [--retention-days N]</c>: prints the ClickHouse DDL for the
/// events table, for one node or for a sharded (and replicated) cluster.
/// </summary>
internal static class FleetCommand
{
    private static readonly Option<string?> ClusterName = new("--cluster")
    {
        Description = "Print the cluster DDL: local tables on every node plus a Distributed table sharded by host",
        HelpName = "NAME",
    };

    private static readonly Option<bool> NoReplication = new("--no-replication")
    {
        Description = "With --cluster: plain ReplacingMergeTree shards (no ZooKeeper), statements to run on every node",
    };

    private static readonly Option<string> ServerVersion = new("--server-version")
    {
        Description = "The ClickHouse version the DDL is for (before 19.6: no TTL, no LowCardinality)",
        DefaultValueFactory = _ => "current",
        HelpName = "VERSION",
    };

    private static readonly Option<string> Database = new("--database")
    {
        Description = "Database name",
        DefaultValueFactory = _ => "procwatch",
    };

    private static readonly Option<string> Table = new("--table")
    {
        Description = "Table name (the Distributed table with --cluster; local tables get _local)",
        DefaultValueFactory = _ => "events",
    };

    private static readonly Option<int> RetentionDays = new("--retention-days")
    {
        Description = "TTL in days (0 = keep forever); ignored before 19.6",
        DefaultValueFactory = _ => 90,
    };

    public static Command Build()
    {
        var schema = new Command("schema", "Print the ClickHouse DDL for the events table")
        {
            ClusterName, NoReplication, ServerVersion, Database, Table, RetentionDays,
        };
        schema.SetAction(result =>
        {
            int retention = result.GetValue(RetentionDays);
            if (retention < 0)
                throw new UsageException("--retention-days must be 0 or more");
            string? cluster = result.GetValue(ClusterName);
            if (cluster is null && result.GetValue(NoReplication))
                throw new UsageException("--no-replication needs --cluster NAME");
            ClickHouseDialect dialect = ClickHouseSchema.DialectOf(result.GetValue(ServerVersion)!);
            string database = result.GetValue(Database)!, table = result.GetValue(Table)!;
            IReadOnlyList<string> statements = cluster is null
                ? ClickHouseSchema.SingleNode(database, table, dialect, retention)
                : ClickHouseSchema.Cluster(cluster, database, table, dialect, retention, replicated: !result.GetValue(NoReplication));
            Console.Out.Write(ClickHouseSchema.Script(statements));
            return ExitCodes.Success;
        });
        return new Command("fleet", "Fleet storage: the ClickHouse schema for the clickhouse output") { schema };
    }
}
