using ProcWatch.Daemon.Configuration;
using ProcWatch.Events;
using ProcWatch.Rules;
using ProcWatch.Sigma;
using ProcWatch.Sigma.Loading;

namespace ProcWatch.Daemon.Hosting;

/// <summary>
/// The rules in force, compiled, with what each alert says and each rule's rate-limit log
/// state. Own rules come first, then the rules of each <c>sigma:</c> path (which the Sigma
/// engines match; their entries here carry the path's actions and rate limit, so both kinds
/// fire the same way). Replaced as a whole when SIGHUP reloads the configuration, so an
/// event is always judged by one consistent set.
/// </summary>
internal sealed class RuleSet
{
    private readonly Dictionary<SigmaCompiledRule, int> _sigmaIndex = [];
    private readonly List<SigmaCompiledRule> _hits = [];
    private readonly int[][] _ownByKind;

    /// <exception cref="SigmaPathException">A Sigma path vanished since the configuration was read.</exception>
    public RuleSet(IReadOnlyList<RuleDefinition> definitions, IReadOnlyList<SigmaSource>? sigma = null, IReadOnlyList<string>? filters = null)
    {
        var rules = new List<CompiledRule>();
        var alerts = new List<AlertInfo>();
        foreach (RuleDefinition definition in definitions)
        {
            var rule = new CompiledRule(definition);
            rules.Add(rule);
            alerts.Add(new AlertInfo(rule.Name, rule.Severity.Name(), rule.Severity.Score()));
            Kinds |= rule.Events;
        }
        _ownByKind = IndexByKind(rules);
        var engines = new List<SigmaEngine>();
        var reports = new List<(string, SigmaLoadReport)>();
        foreach (SigmaSource source in sigma ?? [])
        {
            SigmaLoadReport report = SigmaLoader.Load([source.Path], filters);
            reports.Add((source.Path, report));
            if (report.Engine.Rules.Count == 0)
                continue;
            engines.Add(report.Engine);
            Kinds |= ProcessEventKinds.Exec;
            foreach (SigmaCompiledRule sigmaRule in report.Engine.Rules)
            {
                _sigmaIndex[sigmaRule] = rules.Count;
                rules.Add(new CompiledRule(new RuleDefinition
                {
                    Name = sigmaRule.Info.Title,
                    Severity = SeverityOf(sigmaRule.Info.Level),
                    Match = new RuleMatch { Events = ProcessEventKinds.Exec },
                    Actions = source.Actions,
                    ExecRateLimit = source.ExecRateLimit,
                }));
                alerts.Add(sigmaRule.Alert);
            }
        }
        Rules = [.. rules];
        Alerts = [.. alerts];
        SigmaEngines = [.. engines];
        SigmaReports = reports;
        RateLimitLogged = new bool[Rules.Length];
    }

    /// <summary>Own rules first (picked by kind, <see cref="OwnRulesFor"/>), then one per Sigma rule.</summary>
    public CompiledRule[] Rules { get; }

    public AlertInfo[] Alerts { get; }

    public SigmaEngine[] SigmaEngines { get; }

    /// <summary>Per <c>sigma:</c> path, what loaded and what did not (logged at start and reload).</summary>
    public IReadOnlyList<(string Path, SigmaLoadReport Report)> SigmaReports { get; }

    /// <summary>Per rule: its "rate limited" line was logged and not yet followed by a run.</summary>
    public bool[] RateLimitLogged { get; }

    /// <summary>The own rules that look at events of <paramref name="kind"/>: an event's kind is checked once, not once per rule.</summary>
    public ReadOnlySpan<int> OwnRulesFor(ProcessEventKind kind) => _ownByKind[(int)kind];

    private static int[][] IndexByKind(List<CompiledRule> own)
    {
        var byKind = new int[Enum.GetValues<ProcessEventKind>().Length][];
        var indexes = new List<int>();
        for (int k = 0; k < byKind.Length; k++)
        {
            indexes.Clear();
            for (int i = 0; i < own.Count; i++)
            {
                if (own[i].Events.Contains((ProcessEventKind)k)
                    // A hash follow-up is judged again by the exec rules on hashes only.
                    || (k == (int)ProcessEventKind.Hash && own[i].UsesHash && own[i].Events.Contains(ProcessEventKind.Exec)))
                    indexes.Add(i);
            }
            byKind[k] = [.. indexes];
        }
        return byKind;
    }

    /// <summary>The event kinds the rules look at.</summary>
    public ProcessEventKinds Kinds { get; }

    /// <summary>The indexes (into <see cref="Rules"/>) of the Sigma rules <paramref name="e"/> fires, into <paramref name="fired"/>.</summary>
    public void MatchSigma(ProcessEvent e, List<int> fired)
    {
        fired.Clear();
        foreach (SigmaEngine engine in SigmaEngines)
        {
            engine.Evaluate(e, _hits);
            foreach (SigmaCompiledRule hit in _hits)
                fired.Add(_sigmaIndex[hit]);
        }
    }

    private static RuleSeverity SeverityOf(string level) => level switch
    {
        "informational" or "low" => RuleSeverity.Low,
        "medium" => RuleSeverity.Medium,
        "high" => RuleSeverity.High,
        _ => RuleSeverity.Critical,
    };
}
