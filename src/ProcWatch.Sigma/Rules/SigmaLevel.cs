namespace ProcWatch.Sigma.Rules;

/// <summary>Sigma's <c>level</c> as ECS <c>event.severity</c> (the 0–100 scale of Elastic's detection rules).</summary>
internal static class SigmaLevel
{
    public static bool IsKnown(string level) => level is "informational" or "low" or "medium" or "high" or "critical";

    public static int Score(string level) => level switch
    {
        "informational" => 1,
        "low" => 21,
        "medium" => 47,
        "high" => 73,
        _ => 99,
    };
}
