using ProcWatch.Daemon.Configuration;
using ProcWatch.Events;
using ProcWatch.Rules;

namespace ProcWatch.Daemon.Hosting;

/// <summary>
/// The rules in force, compiled, with what each alert says and each rule's rate-limit log
/// state. Replaced as a whole when SIGHUP reloads the configuration, so an event is always
/// judged by one consistent set.
/// </summary>
internal sealed class RuleSet
{
    public RuleSet(IReadOnlyList<RuleDefinition> definitions)
    {
        Rules = new CompiledRule[definitions.Count];
        for (int i = 0; i < Rules.Length; i++)
        {
            Rules[i] = new CompiledRule(definitions[i]);
            Kinds |= Rules[i].Events;
        }
        Alerts = Array.ConvertAll(Rules, r => new AlertInfo(r.Name, r.Severity.Name(), r.Severity.Score()));
        RateLimitLogged = new bool[Rules.Length];
    }

    public CompiledRule[] Rules { get; }

    public AlertInfo[] Alerts { get; }

    /// <summary>Per rule: its "rate limited" line was logged and not yet followed by a run.</summary>
    public bool[] RateLimitLogged { get; }

    /// <summary>The event kinds the rules look at.</summary>
    public ProcessEventKinds Kinds { get; }
}
