using ProcWatch.Kernel.Connector;
using ProcWatch.Kernel.ProcScan;

namespace ProcWatch.Watching;

/// <summary>Which mechanism produces the events (CLI <c>--backend</c>).</summary>
public enum Backend
{
    /// <summary>The best that works here: the proc connector if a probe sees its events, else procfs.</summary>
    Auto,
    /// <summary>The netlink proc connector (needs the host's namespaces; root before Linux 6.6).</summary>
    Connector,
    /// <summary>eBPF exec capture (exact argv).</summary>
    Ebpf,
    /// <summary>/proc scanning woken by inotify and a timer: works anywhere, misses very short processes.</summary>
    Procfs,
}

/// <summary>The chosen sources, and the one line to tell the user when auto had to fall back.</summary>
public sealed record BackendSelection(IReadOnlyList<IEventSource> Sources, string? Warning);

/// <summary>Turns a <see cref="Backend"/> choice into event sources for <see cref="WatchOptions.Sources"/>.</summary>
public static class BackendSelector
{
    /// <summary>
    /// How long auto waits for the connector to report its test process. Only a failing probe
    /// waits this long (a working connector answers in about a millisecond); generous, so a
    /// loaded machine does not fall back for nothing.
    /// </summary>
    public static TimeSpan ProbeTimeout { get; } = TimeSpan.FromSeconds(1);

    /// <exception cref="ProcWatchException">The forced backend cannot be used here.</exception>
    public static BackendSelection Select(Backend backend, WatchOptions options, ProcfsOptions? procfs = null)
    {
        procfs ??= new ProcfsOptions { Kinds = options.Kinds };
        switch (backend)
        {
            case Backend.Connector:
                return new BackendSelection([Connector(options)], null);
            case Backend.Procfs:
                return new BackendSelection([new ProcfsEventSource(procfs)], null);
            case Backend.Ebpf:
                throw new ProcWatchException(FailureKind.KernelUnsupported, "--backend ebpf is not available yet; use auto, connector or procfs");
            default:
                if (ConnectorProbe.TryConnector(ProbeTimeout, out string? reason))
                    return new BackendSelection([Connector(options)], null);
                return new BackendSelection([new ProcfsEventSource(procfs)],
                    $"falling back to the procfs backend (may miss processes shorter than a scan, no exit codes): {reason}");
        }
    }

    private static ConnectorEventSource Connector(WatchOptions options) => new(options.Kinds, options.ReceiveBufferBytes);
}
