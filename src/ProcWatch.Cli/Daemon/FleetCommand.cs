using System.CommandLine;
using ProcWatch.Daemon.Outputs.ClickHouse;

namespace ProcWatch.Cli.Daemon;

/// <summary>
/// <c>procwatch fleet schema [--cluster NAME] [--no-replication] [--server-version V]
/// [--database DB] [--table T] [--retention-days N] [--migration]</c>: prints the ClickHouse DDL
/// for the events and heartbeats tables, for one node or for a sharded and (by default)
/// replicated cluster, or the ALTERs for a table an earlier schema made. The hunting
/// commands (hosts, search, tree, report, alerts) live in Cli/Fleet.
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

    private static readonly Option<bool> Migration = new("--migration")
    {
        Description = "Print the ALTERs that bring an existing events table (an earlier schema) up to this one, instead of the CREATEs",
    };

    public static Command Build()
    {
        var schema = new Command("schema", "Print the ClickHouse DDL for the events and heartbeats tables")
        {
            ClusterName, NoReplication, ServerVersion, Database, Table, RetentionDays, Migration,
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
            bool replicated = !result.GetValue(NoReplication);
            if (result.GetValue(Migration))
            {
                Console.Out.Write(ClickHouseSchema.Script(ClickHouseSchema.Migration(cluster, database, table, dialect, replicated)));
                return ExitCodes.Success;
            }
            IReadOnlyList<string> statements = cluster is null
                ? ClickHouseSchema.SingleNode(database, table, dialect, retention)
                : ClickHouseSchema.Cluster(cluster, database, table, dialect, retention, replicated: !result.GetValue(NoReplication));
            Console.Out.Write(ClickHouseSchema.Script(statements));
            return ExitCodes.Success;
        });
        return new Command("fleet", "The fleet store (ClickHouse): its schema, and hunting across it")
        {
            schema,
            Fleet.FleetHostsCommand.Build(),
            Fleet.FleetSearchCommand.Build(),
            Fleet.FleetTreeCommand.Build(),
            Fleet.FleetReportCommand.Build(),
            Fleet.FleetAlertsCommand.Build(),
        };
    }
}
