using System.Net;
using ProcWatch.Events;
using ProcWatch.Rules;
using ProcWatch.Watching;

namespace ProcWatch.Daemon.Configuration;

/// <summary>The daemon's whole configuration, validated (see <see cref="ConfigLoader"/>).</summary>
internal sealed record DaemonConfig
{
    /// <summary>The file it came from, or "built-in default".</summary>
    public required string Source { get; init; }

    /// <summary>The event mechanism (default: auto — the connector with eBPF exec capture when it loads).</summary>
    public Backend Backend { get; init; } = Backend.Auto;

    /// <summary>Event kinds written to the outputs.</summary>
    public ProcessEventKinds Events { get; init; } = ProcessEventKinds.Exec | ProcessEventKinds.Exit;

    public IReadOnlyList<OutputDefinition> Outputs { get; init; } = [OutputDefinition.DefaultFile];

    public IReadOnlyList<RuleDefinition> Rules { get; init; } = [];

    /// <summary><c>sigma:</c> Sigma rule paths and what their rules do.</summary>
    public IReadOnlyList<SigmaSource> Sigma { get; init; } = [];

    /// <summary><c>filters:</c> Sigma filter files or directories, applied to the rules of every <see cref="Sigma"/> path.</summary>
    public IReadOnlyList<string> SigmaFilters { get; init; } = [];

    public ActionRunnerOptions Actions { get; init; } = new();

    public HealthSettings Health { get; init; } = new();

    /// <summary><c>flood:</c> per-user volume bound (docs/alerts-and-floods.md).</summary>
    public ProcWatch.Daemon.Flood.FloodSettings Flood { get; init; } = new();

    /// <summary><c>hash:</c> (true/false) and <c>hash_max_size:</c>: executable hashing.</summary>
    public ProcWatch.Tracking.HashOptions Hash { get; init; } = new();

    /// <summary><c>containers:</c> where the container runtimes keep their state (identities on events).</summary>
    public ProcWatch.Containers.ContainerOptions Containers { get; init; } = new();

    /// <summary><c>ancestors:</c> the parent chain an exec carries (0..64).</summary>
    public int Ancestors { get; init; } = 4;

    /// <summary>The file held nothing (empty, blank or only comments): a SIGHUP reload of it changes nothing.</summary>
    public bool EmptyFile { get; init; }

    /// <summary>The file says <c>rules: []</c>: a reload may disarm every rule (otherwise a rule-less reload keeps the running ones).</summary>
    public bool RulesExplicitlyEmpty { get; init; }
}

internal enum OutputType
{
    File,
    Stdout,
    Syslog,
    Journald,
    ClickHouse,
}

/// <summary>One entry of <c>outputs:</c>.</summary>
internal sealed record OutputDefinition
{
    public const string DefaultPath = "/var/log/procwatch/events.json";

    public static OutputDefinition DefaultFile { get; } = new() { Type = OutputType.File, Path = DefaultPath, AlertsPath = AlertsSibling(DefaultPath) };

    public required OutputType Type { get; init; }

    /// <summary>The file (file), or the socket (syslog: /dev/log, journald: /run/systemd/journal/socket).</summary>
    public string? Path { get; init; }

    /// <summary>file: rotate before the file would grow past this; 0 = never.</summary>
    public long MaxBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>file: rotated files kept.</summary>
    public int Keep { get; init; } = 10;

    /// <summary>
    /// file: where alerts are also written, in their own rotation set that event volume cannot
    /// rotate away (default <c>NAME.alerts.json</c> beside the file; null = none, <c>alerts: none</c>).
    /// </summary>
    public string? AlertsPath { get; init; }

    /// <summary>file: the alerts file rotates past this size (default 10 MB).</summary>
    public long AlertsMaxBytes { get; init; } = 10L * 1024 * 1024;

    /// <summary>file: rotated alerts files kept (default 10).</summary>
    public int AlertsKeep { get; init; } = 10;

    /// <summary>The default alerts file beside an events file: <c>events.json</c> → <c>events.alerts.json</c>.</summary>
    public static string AlertsSibling(string path) =>
        path.EndsWith(".json", StringComparison.Ordinal) ? path[..^".json".Length] + ".alerts.json" : path + ".alerts.json";

    /// <summary>syslog: the RFC 5424 facility number (default daemon = 3).</summary>
    public int Facility { get; init; } = 3;

    /// <summary>clickhouse: server, batching and spool.</summary>
    public ProcWatch.Daemon.Outputs.ClickHouse.ClickHouseSettings? ClickHouse { get; init; }
}

/// <summary><c>health:</c> — periodic counters in the log, the status socket, the optional Prometheus endpoint.</summary>
internal sealed record HealthSettings
{
    public const string DefaultSocket = "/run/procwatch/status.sock";

    /// <summary>Counters are logged this often; zero = never.</summary>
    public TimeSpan LogInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Unix socket that <c>procwatch status</c> reads; null = none.</summary>
    public string? Socket { get; init; } = DefaultSocket;

    /// <summary>Loopback address for Prometheus text over HTTP (<c>/metrics</c>); null = off.</summary>
    public IPEndPoint? Listen { get; init; }

    /// <summary>A file (0600/0640) holding a token: HTTP clients that send it as a bearer token read every counter, rule names included.</summary>
    public string? MetricsTokenFile { get; init; }

    /// <summary>Serve rule names, hits, alerts and kills over HTTP to anyone (default false: only with the token, or on the status socket).</summary>
    public bool RuleMetrics { get; init; }
}
