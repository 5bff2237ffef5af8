namespace ProcWatch.Events;

/// <summary>
/// What turns an event into an alert: the rule that fired. Formatters write the event with
/// <c>event.kind: alert</c>, <c>rule.name</c>, <c>rule.severity</c> and <c>event.severity</c>.
/// </summary>
internal sealed record AlertInfo(string RuleName, string Severity, int SeverityScore);
