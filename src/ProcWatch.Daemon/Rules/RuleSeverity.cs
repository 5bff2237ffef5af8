namespace ProcWatch.Rules;

/// <summary>How serious a rule's hit is; written as <c>rule.severity</c> and mapped to ECS <c>event.severity</c>.</summary>
internal enum RuleSeverity
{
    Low,
    Medium,
    High,
    Critical,
}

internal static class RuleSeverityNames
{
    public static string Name(this RuleSeverity severity) => severity switch
    {
        RuleSeverity.Low => "low",
        RuleSeverity.Medium => "medium",
        RuleSeverity.High => "high",
        _ => "critical",
    };

    /// <summary>ECS <c>event.severity</c>, on the 0–100 scale Elastic's detection rules use.</summary>
    public static int Score(this RuleSeverity severity) => severity switch
    {
        RuleSeverity.Low => 21,
        RuleSeverity.Medium => 47,
        RuleSeverity.High => 73,
        _ => 99,
    };

    public static bool TryParse(string text, out RuleSeverity severity)
    {
        switch (text)
        {
            case "low": severity = RuleSeverity.Low; return true;
            case "medium": severity = RuleSeverity.Medium; return true;
            case "high": severity = RuleSeverity.High; return true;
            case "critical": severity = RuleSeverity.Critical; return true;
            default: severity = default; return false;
        }
    }
}
