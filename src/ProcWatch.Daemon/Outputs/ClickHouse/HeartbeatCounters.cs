namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// What one heartbeat says about the daemon: its totals since start (events from the kernel,
/// events lost on the way in, rows outputs dropped, alerts) and how it watches. Read by the
/// heartbeat thread from the daemon's counters.
/// </summary>
internal readonly record struct HeartbeatCounters(long Events, long Losses, long Drops, long Alerts, string Backend, string Enforcement);
