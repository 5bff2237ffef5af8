using ProcWatch.Sigma.Rules;

namespace ProcWatch.Sigma.Loading;

/// <summary>What loading Sigma paths gave: the engine, and for every rule that is not in it, why.</summary>
internal sealed class SigmaLoadReport
{
    public required SigmaEngine Engine { get; init; }
    public required IReadOnlyList<SigmaRejection> Rejected { get; init; }
    public required IReadOnlyList<SigmaSkip> Skipped { get; init; }
    public required IReadOnlyList<SigmaFilterInfo> Filters { get; init; }
    public required int Files { get; init; }

    /// <summary>Rules that are valid Sigma but use what ProcWatch cannot evaluate.</summary>
    public int UnsupportedCount => Rejected.Count(r => r.Unsupported);

    /// <summary>Documents that are not valid Sigma (bad YAML, no condition, ...).</summary>
    public int InvalidCount => Rejected.Count(r => !r.Unsupported);

    /// <summary>One line for logs: "122 Sigma rules loaded from 122 files (0 unsupported, 0 invalid, 3 other log sources skipped, 1 filter)".</summary>
    public string Summary() =>
        $"{Engine.Rules.Count} Sigma rule(s) loaded from {Files} file(s) ({UnsupportedCount} unsupported, {InvalidCount} invalid, " +
        $"{Skipped.Count} of other log sources skipped, {Filters.Count} filter(s))";
}

/// <summary>A document that did not load: where, its title when it has one, why.</summary>
internal sealed record SigmaRejection(string File, long Line, string? Title, string Reason, bool Unsupported);

/// <summary>A rule for another log source (not linux process_creation): skipped, counted, not an error.</summary>
internal sealed record SigmaSkip(string File, string Title, string LogSource);

/// <summary>A filter in force: its title and the rules it applies to (refs that matched no loaded rule are listed apart).</summary>
internal sealed record SigmaFilterInfo(SigmaRuleInfo Info, int RulesFiltered, IReadOnlyList<string> UnmatchedRefs);

/// <summary>A path given to load Sigma rules from does not exist or cannot be listed.</summary>
internal sealed class SigmaPathException : Exception
{
    public SigmaPathException(string message) : base(message) { }
    public SigmaPathException() { }
    public SigmaPathException(string message, Exception inner) : base(message, inner) { }
}
