using System.Diagnostics.CodeAnalysis;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel;
using ProcWatch.Kernel.Connector;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Kernel.ProcScan;

namespace ProcWatch.Watching;

/// <summary>The chosen sources, and the one line to tell the user when auto had to fall back.</summary>
internal sealed record BackendSelection(IReadOnlyList<IEventSource> Sources, string? Warning, FailureKind WarningKind = FailureKind.KernelUnsupported);

/// <summary>Turns a <see cref="Backend"/> choice into event sources for <see cref="WatchOptions.Sources"/>.</summary>
internal static class BackendSelector
{
    /// <summary>
    /// How long auto waits for the connector to report its test process. Only a failing probe
    /// waits this long (a working connector answers in about a millisecond); generous, so a
    /// loaded machine does not fall back for nothing.
    /// </summary>
    public static TimeSpan ProbeTimeout { get; } = TimeSpan.FromSeconds(1);

    /// <exception cref="ProcWatchException">The forced backend cannot be used here.</exception>
    public static BackendSelection Select(Backend backend, WatchOptions options, ProcfsOptions? procfs = null, IReadOnlyList<int>? seededTree = null)
    {
        procfs ??= new ProcfsOptions { Kinds = options.Kinds };
        switch (backend)
        {
            case Backend.Connector:
                return new BackendSelection([Connector(options)], null);
            case Backend.Procfs:
                return new BackendSelection([new ProcfsEventSource(procfs)], null);
            case Backend.Ebpf:
                if (!WantsExec(options))
                    return new BackendSelection([Connector(options)], null);
                if (!TryComposeEbpf(options, out IEventSource[]? forced, out Failure ebpfFailure, CaptureOptions(options, seededTree)))
                    throw BackendFallback.ForcedEbpf(ebpfFailure);
                return new BackendSelection(forced, null);
            default:
                if (!ConnectorProbe.TryConnector(ProbeTimeout, out Failure connectorFailure))
                    return BackendFallback.ToProcfs(new ProcfsEventSource(procfs), connectorFailure);
                if (!WantsExec(options))
                    return new BackendSelection([Connector(options)], null);
                if (TryComposeEbpf(options, out IEventSource[]? ebpf, out Failure why, CaptureOptions(options, seededTree)))
                    return new BackendSelection(ebpf, null);
                return BackendFallback.WithoutEbpf(Connector(options), why);
        }
    }

    /// <summary>
    /// The eBPF backend: two sources side by side, neither owning the other. The ring's source
    /// builds forks, execs and exits from its records (each event from one record); the
    /// connector serves the other kinds and thread clones and exits, and only counts its own
    /// forks, execs and exits for the cross-check: in the kernel, by the socket filter loaded
    /// with the capture (never received), or where that cannot attach, here. Before each event it posts (and after each
    /// receive window) the connector drains the ring, so that what the kernel wrote first
    /// enters the pipeline first. The ring's source comes first: it starts draining before
    /// the connector subscribes.
    /// </summary>
    /// <param name="countInKernel">False: the connector counts in user space even where the socket filter would work (tests of the fallback).</param>
    internal static bool TryComposeEbpf(WatchOptions options, [NotNullWhen(true)] out IEventSource[]? sources, out Failure failure, ExecCaptureOptions? capture = null,
        bool countInKernel = true)
    {
        var crossCheck = new LifecycleCrossCheck();
        if (!EbpfExecSource.TryCreate(options.SourceKinds, crossCheck, out EbpfExecSource? ebpf, out failure, capture))
        {
            sources = null;
            return false;
        }
        var connector = new ConnectorEventSource(options.SourceKinds, options.ReceiveBufferBytes, countOnly: ebpf.Serves, crossCheck, countInKernel ? ebpf.ConnectorCounter : null)
        {
            DrainEarlierRecords = ebpf.DrainNow,
            KernelCountFallback = !countInKernel ? "asked to count here"
                : ebpf.ConnectorCounter is not null ? null
                : ConnectorCountMap.DisabledByEnvironment ? ConnectorCountMap.Variable + "=user"
                : ebpf.ConnectorCounterFailure is { } why ? "the counting socket filter did not load: " + FailureText.OneLine(why)
                : null,
        };
        sources = [ebpf, connector];
        return true;
    }

    /// <summary>
    /// The connector subscribes to what the process table needs too (as <see cref="ProcessWatcher"/> does),
    /// so exec capture is needed whenever execs are reported or tracked.
    /// </summary>
    private static bool WantsExec(WatchOptions options) =>
        (options.Kinds & ProcessEventKinds.Exec) != 0 || options.Enrichment is not null;

    /// <summary>
    /// The filter the kernel can apply exactly (bpf/capture_filter.h): the process tree of -p
    /// and -- COMMAND (procwatch itself as a root: a superset, which the enrichment's filter
    /// narrows), for execs only. The enrichment keeps filtering: the kernel only leaves out
    /// records whose events it would drop and whose content its table would not keep. Not -u:
    /// every process's fork and exec records build the table that other users' events show.
    /// </summary>
    /// <param name="options">The watch.</param>
    /// <param name="seededTree">The enrichment's tree as its seed placed it (pids), to start the kernel's from.</param>
    internal static ExecCaptureOptions CaptureOptions(WatchOptions options, IReadOnlyList<int>? seededTree = null)
    {
        if (options.Enrichment?.Filter is not { } filter || Environment.GetEnvironmentVariable(ExecCaptureOptions.PrefilterVariable) == "0")
            return ExecCaptureOptions.Default;
        List<int>? roots = null;
        if (filter.Pids is { Count: > 0 } pids)
            roots = [.. pids];
        if (filter.DescendantsOf is { } parent)
            (roots ??= []).Add(parent);
        if (roots is null)
            return ExecCaptureOptions.Default;
        return new ExecCaptureOptions { TreeRoots = roots, TreeMembers = seededTree };
    }

    private static ConnectorEventSource Connector(WatchOptions options) => new(options.SourceKinds, options.ReceiveBufferBytes);
}
