using ProcWatch.Events;
using ProcWatch.Tracking;

namespace ProcWatch.Watching;

/// <summary>What to watch and how. Immutable once watching starts.</summary>
public sealed record WatchOptions
{
    /// <summary>Event kinds to report; pushed down to the kernel filter where possible.</summary>
    public ProcessEventKinds Kinds { get; init; } = ProcessEventKinds.Default;

    /// <summary>Netlink socket receive buffer; a large one absorbs bursts (SO_RCVBUFFORCE when privileged).</summary>
    public int ReceiveBufferBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Events held for a slow consumer before they are dropped (and counted, and reported).</summary>
    public int QueueCapacity { get; init; } = 256 * 1024;

    /// <summary>
    /// The process table and /proc enrichment (and the process filter); null turns them off:
    /// events then carry ids only.
    /// </summary>
    public EnrichmentOptions? Enrichment { get; init; } = new();

    /// <summary>Extra processing stages, run in order before events reach the consumer.</summary>
    public IReadOnlyList<IEventStage> Stages { get; init; } = [];

    /// <summary>The event sources; null means the proc connector.</summary>
    public IReadOnlyList<IEventSource>? Sources { get; init; }

    /// <summary>
    /// What the sources subscribe to: the process table needs forks, execs and exits to
    /// follow the process tree whatever was asked for; the kinds not asked for are dropped
    /// after enrichment.
    /// </summary>
    internal ProcessEventKinds SourceKinds =>
        Enrichment is null ? Kinds : Kinds | ProcessEventKinds.Fork | ProcessEventKinds.Exec | ProcessEventKinds.Exit;
}
