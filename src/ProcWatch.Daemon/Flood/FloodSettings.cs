namespace ProcWatch.Daemon.Flood;

/// <summary>
/// <c>flood:</c> — how much one user may write into the record per minute before their events
/// are cut (docs/alerts-and-floods.md).
/// </summary>
internal sealed record FloodSettings
{
    /// <summary>
    /// Bytes of events (argv, executable, parent argv, plus a fixed cost per event) one uid may
    /// produce per minute before it is a flood. Default 64 MiB: a busy build as one user writes
    /// a few MiB a minute; the H6 flood wrote 537 MB in 8 s. 0 = no flood control.
    /// </summary>
    public long BytesPerMinute { get; init; } = 64L * 1024 * 1024;

    /// <summary>Of a flooding user's events, the argument bytes kept (the rest is cut and counted). Default 1 KiB.</summary>
    public int ArgvKeptBytes { get; init; } = 1024;

    /// <summary>Users tracked at once; further uids share one bucket. Default 4096.</summary>
    public int MaxUsers { get; init; } = 4096;
}
