using ProcWatch.Core;
using ProcWatch.Tracking;

namespace ProcWatch;

/// <summary>What to watch and how. Immutable; checked when set (a bad value throws at once, not at start).</summary>
public sealed record WatchOptions
{
    private readonly int _receiveBufferBytes = 16 * 1024 * 1024;
    private readonly int _queueCapacity = 256 * 1024;

    /// <summary>Event kinds to report; pushed down to the kernel filter where possible. Default: fork, exec, exit.</summary>
    public ProcessEventKinds Kinds { get; init; } = ProcessEventKinds.Default;

    /// <summary>
    /// Which mechanism produces the events. <see cref="Backend.Auto"/> (the default) takes the
    /// proc connector with eBPF exec capture where both load, and falls back, with a
    /// <see cref="ProcessWatcher.Warning"/>, to the connector alone (argv read from /proc) and
    /// then to /proc scanning. A forced backend that cannot run throws at start instead.
    /// </summary>
    public Backend Backend { get; init; } = Backend.Auto;

    /// <summary>Netlink socket receive buffer; a large one absorbs bursts (SO_RCVBUFFORCE when privileged).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public int ReceiveBufferBytes
    {
        get => _receiveBufferBytes;
        init => _receiveBufferBytes = value >= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(ReceiveBufferBytes), value, "ReceiveBufferBytes must be at least 1");
    }

    /// <summary>
    /// Events held for a slow consumer before they are dropped (and counted, and reported as
    /// a <see cref="LostEvent"/> with <see cref="LossReason.QueueFull"/>). At least 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int QueueCapacity
    {
        get => _queueCapacity;
        init => _queueCapacity = value >= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(QueueCapacity), value, "QueueCapacity must be at least 1");
    }

    /// <summary>
    /// Programs that must not run, enforced in the kernel at exec (BPF LSM: execve fails with
    /// EPERM; else a fanotify permission event, EPERM too; else SIGKILL before the program's first instruction; without eBPF a kill after the
    /// exec, with a <see cref="ProcessWatcher.Warning"/>). Each refusal is a <see cref="DeniedEvent"/>
    /// in the stream. Checked at <see cref="ProcessWatcher.Start"/>: an invalid rule, or one that
    /// would match an essential program without <see cref="DenyRule.AllowCritical"/>, throws
    /// <see cref="ArgumentException"/>. The rules live as long as the watcher: disposing it (or the
    /// process ending) lifts them. Needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN).
    /// </summary>
    public IReadOnlyList<DenyRule> DenyRules { get; init; } = [];

    /// <summary>Programs never denied besides init and this process's own executable (the daemon's action programs).</summary>
    internal IReadOnlyList<string> DenyProtectedPaths { get; init; } = [];

    /// <summary>Restricts the enforcement hooks (tests force the SIGKILL level with ["tp_btf"], the fanotify level with ["fanotify", "tp_btf"]); null: all, best first.</summary>
    internal IReadOnlyList<string>? DenyAttachModes { get; init; }

    /// <summary>
    /// The process table and /proc enrichment (and the process filter); null turns them off:
    /// events then carry ids only.
    /// </summary>
    internal EnrichmentOptions? Enrichment { get; init; } = new();

    /// <summary>Extra processing stages, run in order before events reach the consumer.</summary>
    internal IReadOnlyList<IEventStage> Stages { get; init; } = [];

    /// <summary>The event sources, chosen by the caller; null means <see cref="Backend"/> chooses at start.</summary>
    internal IReadOnlyList<IEventSource>? Sources { get; init; }

    /// <summary>
    /// What the sources subscribe to: the process table needs forks, execs and exits to
    /// follow the process tree, and uid/gid changes to follow credentials, whatever was asked
    /// for (<see cref="EnrichmentOptions.FollowedKinds"/>); the kinds not asked for
    /// are dropped after enrichment.
    /// </summary>
    internal ProcessEventKinds SourceKinds =>
        Enrichment is null ? Kinds : Kinds | EnrichmentOptions.FollowedKinds;

    /// <summary>The checks a <c>with</c> copy or a binder could have skipped.</summary>
    /// <exception cref="ArgumentException">An option is out of range (message says which).</exception>
    internal void Validate()
    {
        if (QueueCapacity < 1)
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "QueueCapacity must be at least 1");
        if (ReceiveBufferBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(ReceiveBufferBytes), ReceiveBufferBytes, "ReceiveBufferBytes must be at least 1");
        if (!Enum.IsDefined(Backend))
            throw new ArgumentOutOfRangeException(nameof(Backend), Backend, "unknown backend");
    }
}
