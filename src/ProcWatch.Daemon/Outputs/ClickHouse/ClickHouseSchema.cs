using System.Globalization;
using System.Text;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>Which column types and table clauses a server understands.</summary>
internal enum ClickHouseDialect
{
    /// <summary>Before 19.6 (Debian's 18.16): no TTL, no LowCardinality (experimental there).</summary>
    Legacy,
    /// <summary>19.6 and later: LowCardinality(String) for repetitive columns, retention as a TTL.</summary>
    Current,
}

/// <summary>
/// The events table: one row per event or alert, columns named after the ECS fields they
/// hold. The row format (<see cref="ClickHouseRowWriter"/>) is the same for every dialect,
/// so a spooled batch stays valid whatever server takes it: <c>@timestamp</c> is a
/// DateTime (seconds) everywhere and <c>event.time_us</c> carries the microseconds
/// (DateTime64 needs 20.1). Deduplication: a ReplacingMergeTree whose sorting key ends in
/// <c>event.id</c>, so a batch sent twice (an ambiguous failure, then the resend from the
/// spool) collapses to one row per event on merge and in every query with FINAL.
/// </summary>
internal static class ClickHouseSchema
{
    /// <summary>Name, type on every server, and whether the current dialect makes it LowCardinality.</summary>
    public static readonly (string Name, string Type, bool LowCardinality)[] Columns =
    [
        ("@timestamp", "DateTime('UTC')", false),
        ("event.time_us", "UInt64", false),
        ("event.id", "String", false),
        ("event.kind", "String", true),
        ("event.action", "String", true),
        ("event.type", "String", true),
        ("event.outcome", "String", true),
        ("event.severity", "UInt8", false),
        ("host.hostname", "String", true),
        ("process.pid", "UInt32", false),
        ("process.thread.id", "UInt32", false),
        ("process.name", "String", false),
        ("process.executable", "String", false),
        ("process.args", "Array(String)", false),
        ("process.args_count", "UInt32", false),
        ("process.command_line", "String", false),
        ("process.working_directory", "String", false),
        ("process.entity_id", "String", false),
        ("process.exit_code", "Nullable(Int32)", false),
        ("process.tty.name", "String", true),
        ("process.parent.pid", "UInt32", false),
        ("process.parent.name", "String", false),
        ("process.parent.executable", "String", false),
        ("process.parent.args", "Array(String)", false),
        ("process.parent.entity_id", "String", false),
        ("user.id", "String", true),
        ("user.name", "String", true),
        ("container.id", "String", false),
        ("rule.id", "String", true),
        ("rule.name", "String", true),
        ("rule.severity", "String", true),
        ("procwatch.source", "String", true),
        ("procwatch.kernel_time_ns", "UInt64", false),
        ("procwatch.lost_reason", "String", true),
        ("procwatch.lost_count", "UInt64", false),
        // Added after the first schema (issue 14's 35 columns above): fleet schema --migration adds them to an existing table.
        ("container.name", "String", false),
        ("container.image.name", "String", true),
        ("container.image.tag", "String", true),
        ("container.runtime", "String", true),
        ("orchestrator.namespace", "String", true),
        ("orchestrator.resource.name", "String", false),
        ("procwatch.container_entry", "UInt8", false),
        ("process.hash.sha256", "String", false),
        ("procwatch.hash_status", "String", true),
        ("procwatch.ancestors.pid", "Array(UInt32)", false),
        ("procwatch.ancestors.entity_id", "Array(String)", false),
        ("procwatch.ancestors.executable", "Array(String)", false),
        // What ran (docs/what-ran.md): hashes on the exec or on its "hash" follow-up row, joined by process.entity_id.
        ("procwatch.hash_target", "String", true),
        ("file.path", "String", false),
        ("file.hash.sha256", "String", false),
        ("procwatch.executable_unknown", "UInt8", false),
        ("procwatch.loaded_program.path", "String", false),
        ("procwatch.loaded_program.hash.sha256", "String", false),
        ("procwatch.script.type", "String", true),
        ("procwatch.script.path", "String", false),
        ("procwatch.script.hash.sha256", "String", false),
        // Failed exec attempts (event.action = 'execfail', docs/what-ran.md): the errno's name, number and the call's own facts.
        ("error.code", "String", true),
        ("procwatch.exec_failure.errno", "UInt32", false),
        ("procwatch.exec_failure.syscall", "String", true),
        ("procwatch.exec_failure.filename", "String", false),
        ("procwatch.exec_failure.caller_executable", "String", false),
        // A flooding user's line had its arguments cut (docs/alerts-and-floods.md): how many bytes, so a row never looks whole when it is not.
        ("procwatch.flood_cut_bytes", "UInt32", false),
    ];

    /// <summary>The columns of the first schema (issue 14); those after them are what a migration adds.</summary>
    public const int FirstSchemaColumns = 35;

    /// <summary>
    /// The heartbeats table: one row per daemon per heartbeat interval (<see cref="HeartbeatWriter"/>),
    /// so a host whose sensor was stopped or blinded shows up as a host that went quiet or whose
    /// loss counters jumped. Counters are the daemon's totals since it started.
    /// </summary>
    public static readonly (string Name, string Type, bool LowCardinality)[] HeartbeatColumns =
    [
        ("@timestamp", "DateTime('UTC')", false),
        ("host.hostname", "String", true),
        ("procwatch.version", "String", true),
        ("procwatch.backend", "String", true),
        ("procwatch.enforcement", "String", true),
        ("procwatch.heartbeat_interval_ms", "UInt32", false),
        ("procwatch.uptime_s", "UInt64", false),
        ("procwatch.events", "UInt64", false),
        ("procwatch.losses", "UInt64", false),
        ("procwatch.drops", "UInt64", false),
        ("procwatch.alerts", "UInt64", false),
        ("procwatch.pending", "UInt64", false),
    ];

    public const string HeartbeatOrderBy = "(`host.hostname`, `@timestamp`)";

    public const string PartitionBy = "toYYYYMMDD(`@timestamp`)";
    public const string OrderBy = "(`host.hostname`, `event.action`, `@timestamp`, `event.id`)";
    public const string ShardingKey = "cityHash64(`host.hostname`)";

    /// <summary>Legacy before 19.6 (TTL); a version that does not parse is taken as current.</summary>
    public static ClickHouseDialect DialectOf(string version)
    {
        string[] parts = version.Trim().Split('.');
        if (parts.Length >= 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int major)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int minor))
            return major < 19 || (major == 19 && minor < 6) ? ClickHouseDialect.Legacy : ClickHouseDialect.Current;
        return ClickHouseDialect.Current;
    }

    /// <summary>The statements for one node: the database, the events table, the heartbeats table.</summary>
    public static IReadOnlyList<string> SingleNode(string database, string table, ClickHouseDialect dialect, int retentionDays, string heartbeatTable = DefaultHeartbeatTable) =>
    [
        $"CREATE DATABASE IF NOT EXISTS {Quote(database)}",
        CreateTable(database, table, dialect, retentionDays, "ReplacingMergeTree", onCluster: null),
        CreateTable(database, heartbeatTable, dialect, retentionDays, "ReplacingMergeTree", onCluster: null, HeartbeatColumns, HeartbeatOrderBy),
    ];

    public const string DefaultHeartbeatTable = "heartbeats";

    /// <summary>
    /// A cluster: a local table on every node (ReplicatedReplacingMergeTree, or plain
    /// ReplacingMergeTree shards when <paramref name="replicated"/> is false) and the
    /// Distributed table <paramref name="table"/> over them, sharded by host so one host's
    /// events (and its process trees) stay on one shard; the same pair for the heartbeats.
    /// Replicated statements run once with ON CLUSTER (which needs ZooKeeper anyway);
    /// unreplicated ones run on every node. The replica path names the database and table
    /// literally: the {database}/{table} macros came after 18.16, {shard}/{replica} come
    /// from each server's &lt;macros&gt;.
    /// </summary>
    public static IReadOnlyList<string> Cluster(string cluster, string database, string table, ClickHouseDialect dialect, int retentionDays, bool replicated,
        string heartbeatTable = DefaultHeartbeatTable)
    {
        string? on = replicated ? cluster : null;
        return
        [
            $"CREATE DATABASE IF NOT EXISTS {Quote(database)}{OnCluster(on)}",
            CreateTable(database, table + "_local", dialect, retentionDays, LocalEngine(database, table + "_local", replicated), on),
            CreateDistributed(cluster, database, table, on),
            CreateTable(database, heartbeatTable + "_local", dialect, retentionDays, LocalEngine(database, heartbeatTable + "_local", replicated), on,
                HeartbeatColumns, HeartbeatOrderBy),
            CreateDistributed(cluster, database, heartbeatTable, on),
        ];
    }

    /// <summary>
    /// ALTERs that bring a table made by an earlier schema up to this one (the heartbeats table is
    /// new: its CREATE ... IF NOT EXISTS is in the schema). Current servers skip a column that
    /// exists (ADD COLUMN IF NOT EXISTS); 18.16 has no IF NOT EXISTS there, so its ALTERs are
    /// plain ADD COLUMN and a column that already exists makes that one statement fail, harmlessly
    /// (the daemon with create_table on adds what is missing itself, column by column).
    /// On a cluster the local tables change first, then the Distributed table.
    /// </summary>
    public static IReadOnlyList<string> Migration(string? cluster, string database, string table, ClickHouseDialect dialect, bool replicated)
    {
        var statements = new List<string>();
        string? on = cluster is not null && replicated ? cluster : null;
        string[] tables = cluster is null ? [table] : [table + "_local", table];
        foreach (string t in tables)
        {
            for (int i = FirstSchemaColumns; i < Columns.Length; i++)
                statements.Add(AddColumn(database, t, Columns[i], dialect, on));
        }
        return statements;
    }

    /// <summary>One ADD COLUMN (IF NOT EXISTS where the server has it).</summary>
    public static string AddColumn(string database, string table, (string Name, string Type, bool LowCardinality) column, ClickHouseDialect dialect, string? onCluster) =>
        $"ALTER TABLE {Quote(database)}.{Quote(table)}{OnCluster(onCluster)} ADD COLUMN {(dialect == ClickHouseDialect.Current ? "IF NOT EXISTS " : "")}" +
        $"{Quote(column.Name)} {TypeOf(column, dialect)}";

    private static string LocalEngine(string database, string local, bool replicated) => replicated
        ? $"ReplicatedReplacingMergeTree('/clickhouse/tables/{{shard}}/{database}/{local}', '{{replica}}')"
        : "ReplacingMergeTree";

    private static string CreateDistributed(string cluster, string database, string table, string? on) =>
        $"CREATE TABLE IF NOT EXISTS {Quote(database)}.{Quote(table)}{OnCluster(on)} AS {Quote(database)}.{Quote(table + "_local")}\n" +
        $"ENGINE = Distributed({Literal(cluster)}, {Literal(database)}, {Literal(table + "_local")}, {ShardingKey})";

    private static string TypeOf((string Name, string Type, bool LowCardinality) column, ClickHouseDialect dialect) =>
        column.LowCardinality && dialect == ClickHouseDialect.Current ? $"LowCardinality({column.Type})" : column.Type;

    /// <summary>The statements as one script, each ending in ';'.</summary>
    public static string Script(IReadOnlyList<string> statements)
    {
        var sb = new StringBuilder();
        foreach (string s in statements)
            sb.Append(s).Append(";\n\n");
        return sb.ToString().TrimEnd('\n') + "\n";
    }

    private static string CreateTable(string database, string table, ClickHouseDialect dialect, int retentionDays, string engine, string? onCluster,
        (string Name, string Type, bool LowCardinality)[]? columns = null, string orderBy = OrderBy)
    {
        columns ??= Columns;
        var sb = new StringBuilder();
        sb.Append("CREATE TABLE IF NOT EXISTS ").Append(Quote(database)).Append('.').Append(Quote(table)).Append(OnCluster(onCluster)).Append("\n(\n");
        for (int i = 0; i < columns.Length; i++)
            sb.Append("    ").Append(Quote(columns[i].Name)).Append(' ').Append(TypeOf(columns[i], dialect)).Append(i < columns.Length - 1 ? ",\n" : "\n");
        sb.Append(")\nENGINE = ").Append(engine)
          .Append("\nPARTITION BY ").Append(PartitionBy)
          .Append("\nORDER BY ").Append(orderBy);
        if (dialect == ClickHouseDialect.Current && retentionDays > 0)
            sb.Append("\nTTL `@timestamp` + INTERVAL ").Append(retentionDays.ToString(CultureInfo.InvariantCulture)).Append(" DAY");
        sb.Append("\nSETTINGS index_granularity = 8192");
        return sb.ToString();
    }

    private static string OnCluster(string? cluster) => cluster is null ? "" : $" ON CLUSTER {Quote(cluster)}";

    /// <summary>A backquoted identifier (names come from the configuration: quoted, never spliced raw).</summary>
    public static string Quote(string identifier) => "`" + identifier.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("`", "\\`", StringComparison.Ordinal) + "`";

    public static string Literal(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
