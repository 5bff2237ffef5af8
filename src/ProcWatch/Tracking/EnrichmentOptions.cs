using ProcWatch.Filtering;

namespace ProcWatch.Tracking;

/// <summary>How events are enriched from the process table and /proc.</summary>
internal sealed record EnrichmentOptions
{
    /// <summary>The process table's bound; the least recently used process is evicted beyond it.</summary>
    public int TableCapacity { get; init; } = 32768;

    /// <summary>Read each process's environment (<c>--env</c>): large, and often secret.</summary>
    public bool IncludeEnvironment { get; init; }

    /// <summary>Which processes to report; null reports all.</summary>
    public ProcessFilter? Filter { get; init; }

    /// <summary>After a loss, the table is re-read from /proc at most this often.</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(1);
}
