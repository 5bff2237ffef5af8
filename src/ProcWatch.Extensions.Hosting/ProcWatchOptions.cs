namespace ProcWatch.Extensions.Hosting;

/// <summary>
/// <see cref="WatchOptions"/> as a bindable options class (<c>IOptions&lt;ProcWatchOptions&gt;</c>),
/// e.g. from the configuration section <c>"ProcWatch": { "Backend": "Auto", "Kinds": "Exec, Exit" }</c>.
/// </summary>
public sealed class ProcWatchOptions
{
    /// <summary>The default configuration section name.</summary>
    public const string SectionName = "ProcWatch";

    /// <summary>See <see cref="WatchOptions.Backend"/>.</summary>
    public Backend Backend { get; set; } = Backend.Auto;

    /// <summary>See <see cref="WatchOptions.Kinds"/> (in configuration: a comma-separated list, "Fork, Exec, Exit").</summary>
    public ProcessEventKinds Kinds { get; set; } = ProcessEventKinds.Default;

    /// <summary>See <see cref="WatchOptions.QueueCapacity"/>.</summary>
    public int QueueCapacity { get; set; } = new WatchOptions().QueueCapacity;

    /// <summary>See <see cref="WatchOptions.ReceiveBufferBytes"/>.</summary>
    public int ReceiveBufferBytes { get; set; } = new WatchOptions().ReceiveBufferBytes;

    /// <summary>
    /// See <see cref="WatchOptions.DenyRules"/>: programs that must not run, enforced in the
    /// kernel at exec, with the same safety rules (an unsafe rule fails the host's start). In
    /// configuration: <c>"DenyRules": [ { "Name": "no-tmp", "Directories": [ "/tmp" ] } ]</c>.
    /// </summary>
    public IList<DenyRule> DenyRules { get; set; } = [];

    /// <summary>Log every <see cref="LostEvent"/> at Warning (default); false logs them at Debug (the counts stay in the statistics and the health check).</summary>
    public bool LogLosses { get; set; } = true;

    /// <summary>The options for <see cref="ProcessWatcher"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (message says which).</exception>
    public WatchOptions ToWatchOptions() => new()
    {
        Backend = Backend,
        Kinds = Kinds,
        QueueCapacity = QueueCapacity,
        ReceiveBufferBytes = ReceiveBufferBytes,
        DenyRules = [.. DenyRules],
    };
}
