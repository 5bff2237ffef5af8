namespace ProcWatch.Events;

/// <summary>Which mechanism observed an event (JSON <c>procwatch.source</c>).</summary>
public enum EventOrigin : byte
{
    /// <summary>The netlink proc connector.</summary>
    Connector,
    /// <summary>An eBPF program on a scheduler tracepoint.</summary>
    Ebpf,
    /// <summary>A scan of /proc (the fallback backend); no exit codes, may miss short processes.</summary>
    Procfs,
    /// <summary>ProcWatch itself (losses, synthesised events).</summary>
    Watcher,
}

/// <summary>Where an exec's argv came from (JSON <c>procwatch.argv_source</c>).</summary>
public enum ArgvSource : byte
{
    /// <summary>Not known: not read yet, or the read lost the race with the process.</summary>
    None,
    /// <summary>Read from /proc/PID/cmdline after the event (may be raced).</summary>
    Procfs,
    /// <summary>Captured in the kernel at exec time by eBPF (exact).</summary>
    Ebpf,
}
