using ProcWatch.Rules;

namespace ProcWatch.Daemon.Configuration;

/// <summary>
/// One entry of <c>sigma:</c>: a Sigma rule file or directory, and what its rules do when they
/// fire (the same actions and exec rate limit as an own rule; default: alert).
/// </summary>
internal sealed record SigmaSource
{
    public required string Path { get; init; }
    public IReadOnlyList<RuleAction> Actions { get; init; } = [new AlertAction()];
    public RateLimit ExecRateLimit { get; init; } = new(60, TimeSpan.FromMinutes(1));
}
