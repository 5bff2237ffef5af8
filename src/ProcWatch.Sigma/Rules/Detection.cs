namespace ProcWatch.Sigma.Rules;

/// <summary>A value in a detection: the YAML scalar's text and what kind of scalar it was.</summary>
internal readonly record struct SigmaValue(SigmaValueKind Kind, string Text)
{
    public static SigmaValue Null { get; } = new(SigmaValueKind.Null, "");
}

internal enum SigmaValueKind : byte
{
    String,
    Number,
    Boolean,
    Null,
}

/// <summary>
/// One <c>Field|mod1|mod2: value(s)</c> entry of a search identifier, or a keyword list
/// (<see cref="Field"/> null). Several values are OR'ed (AND'ed with <c>all</c>).
/// </summary>
internal sealed record DetectionItem(string? Field, IReadOnlyList<string> Modifiers, IReadOnlyList<SigmaValue> Values, int Line);

/// <summary>
/// A search identifier's body: OR of alternatives, each an AND of items. A map is one
/// alternative; a list of maps is several; a keyword list is one alternative of one keyword item.
/// </summary>
internal sealed record SearchIdentifier(string Name, IReadOnlyList<IReadOnlyList<DetectionItem>> Alternatives, int Line);

/// <summary>A rule's <c>detection</c>: its search identifiers and its condition(s) (several are OR'ed).</summary>
internal sealed record Detection(IReadOnlyList<SearchIdentifier> Searches, IReadOnlyList<string> Conditions, int ConditionLine);

/// <summary>A parsed rule document, not yet compiled.</summary>
internal sealed record SigmaRuleDocument(SigmaRuleInfo Info, Detection Detection);

/// <summary>
/// A Sigma filter document (<c>filter:</c> with <c>rules:</c>, search identifiers and a
/// <c>condition</c>): its condition is AND'ed to the condition of every rule it names.
/// </summary>
internal sealed record SigmaFilterDocument(SigmaRuleInfo Info, IReadOnlyList<string> RuleRefs, Detection Detection);
