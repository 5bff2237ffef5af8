namespace ProcWatch.Cli.Report;

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
