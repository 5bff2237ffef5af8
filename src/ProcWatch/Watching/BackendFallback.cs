using ProcWatch.Core;

namespace ProcWatch.Watching;

/// <summary>
/// What <see cref="BackendSelector"/> does when a mechanism fails, from the failure itself: the
/// warning (worded once, by <see cref="FailureText"/>) and its <see cref="FailureKind"/>, which
/// the failure's own kind decides (missing privilege says "run as root", exit code 3; a kernel
/// without the mechanism says what it lacks).
/// </summary>
internal static class BackendFallback
{
    /// <summary>Auto, connector unusable: /proc scanning.</summary>
    internal static BackendSelection ToProcfs(IEventSource procfs, Failure connector) => new([procfs],
        $"falling back to the procfs backend (may miss processes shorter than a scan, no exit codes): {FailureText.OneLine(connector)}; run procwatch doctor",
        connector.Kind);

    /// <summary>Auto, eBPF unusable: the connector alone, argv from /proc.</summary>
    internal static BackendSelection WithoutEbpf(IEventSource connector, Failure ebpf) => new([connector],
        $"eBPF exec capture unavailable ({FailureText.OneLine(ebpf)}); argv is read from /proc and can be missed for short-lived processes; run procwatch doctor",
        ebpf.Kind);

    /// <summary>--backend ebpf, eBPF unusable: no fallback, the failure is the error.</summary>
    internal static ProcWatchException ForcedEbpf(Failure ebpf) => new(ebpf, "eBPF exec capture unavailable: ");
}
