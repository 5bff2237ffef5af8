namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// One <c>type: clickhouse</c> output: where (the HTTP interface), how much per insert, and
/// the on-disk spool that holds every batch until the server has accepted it. Secrets are
/// never here: the password comes from <see cref="PasswordFile"/> or the environment.
/// </summary>
internal sealed record ClickHouseSettings
{
    public const string DefaultSpool = "/var/lib/procwatch/spool/clickhouse";
    public const string PasswordVariable = "PROCWATCH_CLICKHOUSE_PASSWORD";
    public const string UserVariable = "PROCWATCH_CLICKHOUSE_USER";

    /// <summary>http:// or https:// base of the HTTP interface; its query string (e.g. extra settings) is kept on every request.</summary>
    public required Uri Url { get; init; }

    public string Database { get; init; } = "procwatch";

    public string Table { get; init; } = "events";

    /// <summary>The user; null = <see cref="UserVariable"/>, else the server's default user.</summary>
    public string? User { get; init; }

    /// <summary>A file holding the password (first line); null = <see cref="PasswordVariable"/>, else none.</summary>
    public string? PasswordFile { get; init; }

    /// <summary>PEM file of a private CA that signed the server's certificate (https); null = the system's trust store.</summary>
    public string? CaFile { get; init; }

    /// <summary>A batch is sealed (and spooled) at this many rows...</summary>
    public int BatchRows { get; init; } = 10_000;

    /// <summary>... or this long after its first row, whichever comes first.</summary>
    public TimeSpan BatchInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>One insert may take this long before it is abandoned (and retried: the spool still holds it).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public string SpoolDirectory { get; init; } = DefaultSpool;

    /// <summary>The spool never holds more than this (compressed); a batch beyond is lost (counted).</summary>
    public long SpoolMaxBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>A spooled batch older than this is lost (counted): a server gone for a week is not coming back for it.</summary>
    public TimeSpan SpoolMaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Sealed batches waiting in memory for the spool writer, in bytes; beyond, lost (counted).</summary>
    public long QueueMaxBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Create the database and the single-node table when they are missing.</summary>
    public bool CreateTable { get; init; } = true;

    /// <summary>The daemon writes a heartbeat row this often (0 = never); procwatch fleet hosts marks a host quiet after 3 missed.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The heartbeats table, in <see cref="Database"/> (the Distributed one on a cluster).</summary>
    public string HeartbeatTable { get; init; } = ClickHouseSchema.DefaultHeartbeatTable;

    /// <summary>Retention in days for a table the daemon creates (a TTL on servers that have TTL; 0 = keep forever).</summary>
    public int RetentionDays { get; init; } = 90;
}
