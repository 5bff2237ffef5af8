namespace ProcWatch.Sigma.Rules;

/// <summary>What a Sigma rule says about itself (everything but its detection), as written.</summary>
internal sealed record SigmaRuleInfo
{
    /// <summary>The file the rule came from and the line its document starts on.</summary>
    public required string File { get; init; }
    public required int Line { get; init; }

    public required string Title { get; init; }
    public string? Id { get; init; }

    /// <summary>The optional unique <c>name</c> (Sigma v2), which filters may reference like an id.</summary>
    public string? Name { get; init; }
    public string? Description { get; init; }
    public string? Status { get; init; }
    public IReadOnlyList<string> References { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>informational, low, medium, high or critical (Sigma's levels); medium when absent.</summary>
    public string Level { get; init; } = "medium";
    public string? Category { get; init; }
    public string? Product { get; init; }
    public string? Service { get; init; }

    /// <summary>MITRE ATT&amp;CK technique ids from <c>attack.tNNNN[.NNN]</c> tags, upper-cased (T1059.004).</summary>
    public IReadOnlyList<string> Techniques => SigmaTags.Techniques(Tags);

    /// <summary>"FILE:LINE", how messages point at the rule.</summary>
    public string Location => $"{File}:{Line}";
}

internal static class SigmaTags
{
    public static IReadOnlyList<string> Techniques(IReadOnlyList<string> tags)
    {
        List<string>? found = null;
        foreach (string tag in tags)
        {
            // attack.t1059, attack.t1059.004; tactics (attack.execution) and groups (attack.g0001) are not techniques.
            if (tag.Length < 12 || !tag.StartsWith("attack.t", StringComparison.OrdinalIgnoreCase))
                continue;
            ReadOnlySpan<char> id = tag.AsSpan(8);
            if (!IsTechniqueNumber(id))
                continue;
            (found ??= []).Add("T" + id.ToString().ToUpperInvariant());
        }
        return found ?? (IReadOnlyList<string>)[];
    }

    private static bool IsTechniqueNumber(ReadOnlySpan<char> id)
    {
        if (id.Length != 4 && !(id.Length == 8 && id[4] == '.'))
            return false;
        for (int i = 0; i < id.Length; i++)
        {
            if (i != 4 && !char.IsAsciiDigit(id[i]))
                return false;
        }
        return true;
    }
}
