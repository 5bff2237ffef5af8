namespace ProcWatch.Cli.Report;

/// <summary>One process instance (one entity_id): from fork (or first sight) to exit, with its last exec's facts.</summary>
internal sealed class ReportProcess
{
    public required string Key { get; init; }
    public int Pid { get; set; }
    public int ParentPid { get; set; }
    public string? EntityId { get; set; }
    public string? ParentEntityId { get; set; }
    public ReportProcess? Parent { get; set; }
    public string? Name { get; set; }
    public string? Executable { get; set; }
    public IReadOnlyList<string>? Args { get; set; }
    public string? WorkingDirectory { get; set; }
    public string? User { get; set; }
    public string? ArgvSource { get; set; }
    public bool ArgsTruncated { get; set; }
    public long StartUs { get; set; } = long.MaxValue;
    public long? ExecUs { get; set; }
    public long? EndUs { get; set; }
    public long? DurationNs { get; set; }
    public bool ExitSeen { get; set; }
    public int? ExitCode { get; set; }
    public int? Signal { get; set; }
    public string? SignalName { get; set; }
    public bool CoreDumped { get; set; }
    public long? CpuTimeNs { get; set; }
    public long? PeakRssBytes { get; set; }

    /// <summary>"name (image) runtime, id" of its container; null outside containers.</summary>
    public string? Container { get; set; }

    /// <summary>"namespace/name" of its Kubernetes pod.</summary>
    public string? Pod { get; set; }

    /// <summary>It entered a running container from outside (docker/kubectl exec, nsenter).</summary>
    public bool ContainerEntry { get; set; }

    public ReportOutcome Outcome =>
        !ExitSeen ? ReportOutcome.Running
        : CoreDumped ? ReportOutcome.CoreDumped
        : Signal is not null ? ReportOutcome.Signal
        : ExitCode is null ? ReportOutcome.Unknown
        : ExitCode == 0 ? ReportOutcome.Success
        : ReportOutcome.Failure;
}

/// <summary>How a process ended, as the report colours it.</summary>
internal enum ReportOutcome
{
    Success,
    Failure,
    Signal,
    CoreDumped,
    Running,
    /// <summary>The exit was seen but its status was not (the kernel did not say).</summary>
    Unknown,
}
