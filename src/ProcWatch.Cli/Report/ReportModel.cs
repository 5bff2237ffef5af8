namespace ProcWatch.Cli.Report;

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

    public ReportOutcome Outcome =>
        !ExitSeen ? ReportOutcome.Running
        : CoreDumped ? ReportOutcome.CoreDumped
        : Signal is not null ? ReportOutcome.Signal
        : ExitCode is null ? ReportOutcome.Unknown
        : ExitCode == 0 ? ReportOutcome.Success
        : ReportOutcome.Failure;
}

/// <summary>The stream said events were lost: the report must not look complete.</summary>
internal sealed record LostReport(long TimeUs, string Reason, long Count);

/// <summary>A line that could not be read, where it was and why.</summary>
internal sealed record CorruptLine(string File, long Line, string Reason, string Excerpt);

/// <summary>An alert document (event.kind "alert"): own rules or Sigma.</summary>
internal sealed record ReportAlert(long TimeUs, ReportProcess? Process, string? RuleId, string? RuleName, string? Ruleset, string? Severity);

/// <summary>
/// Everything the HTML report shows, assembled from one or more event files. Filled by
/// <see cref="ReportModelBuilder"/> (the one writer), read by the report's writers once built.
/// </summary>
internal sealed class ReportModel
{
    public List<ReportProcess> Processes { get; } = [];
    public List<ReportAlert> Alerts { get; } = [];
    public List<LostReport> Lost { get; } = [];
    public List<CorruptLine> CorruptSamples { get; } = [];
    public long CorruptLines { get; set; }
    public long LinesRead { get; set; }
    /// <summary>Processes left out because the report's bound was reached.</summary>
    public long ProcessesOmitted { get; set; }
    public long AlertsOmitted { get; set; }
    public List<string> Files { get; } = [];
    public IReadOnlyList<string> Hosts { get; set; } = [];

    public long TotalLost
    {
        get
        {
            long sum = 0;
            foreach (LostReport lost in Lost) sum += lost.Count;
            return sum;
        }
    }
}
