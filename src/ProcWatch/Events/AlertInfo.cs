namespace ProcWatch.Events;

/// <summary>
/// What turns an event into an alert: the rule that fired. Formatters write the event with
/// <c>event.kind: alert</c>, <c>rule.name</c>, <c>rule.severity</c> and <c>event.severity</c>;
/// the optional parts (a Sigma rule's id, ruleset, description, references, ATT&amp;CK techniques)
/// as <c>rule.id</c>, <c>rule.ruleset</c>, <c>rule.description</c>, <c>rule.reference</c>, <c>threat.technique.id</c>.
/// </summary>
internal sealed record AlertInfo(string RuleName, string Severity, int SeverityScore)
{
    public string? RuleId { get; init; }
    public string? Ruleset { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<string> References { get; init; } = [];
    public IReadOnlyList<string> Techniques { get; init; } = [];

    /// <summary>What the rule's response did to the process (<c>procwatch.action.result</c>: killed, gone, "not killed: identity not certain"…), when it has one.</summary>
    public string? ActionResult { get; init; }
}
